import { Button, Card, Code, Group, Stack, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { v4 as uuid } from 'uuid';
import { context } from '../../api/transport';
import { ConfirmButton } from '../../components/ConfirmButton';
import { SubjectWithName } from '../../components/NameWithId';
import { QueryState } from '../../components/QueryState';
import { timeText } from '../../components/time-text';
import type { ContextEntry } from '../../gen/aos/v1/context_pb';
import { indentJson } from './context-value';
import type { ContextDraft } from './PutContextForm';

/**
 * One entry as it is now: its value (laid out when it is JSON), version, who
 * made that version and when; read again whenever the page learns of a newer
 * log position (`seen`), so a change made elsewhere shows here too.
 */
export function ContextEntryCard({
  scope,
  entryKey,
  seen,
  canWrite,
  onEdit,
  onDeleted,
}: {
  scope: string;
  entryKey: string;
  seen: bigint;
  canWrite: boolean;
  onEdit: (draft: ContextDraft) => void;
  onDeleted: (entry: ContextEntry) => void;
}) {
  const query = useQuery({
    queryKey: ['context', scope, 'entry', entryKey, String(seen)],
    placeholderData: keepPreviousData,
    queryFn: () => context.getContext({ scope, key: entryKey, minPosition: seen }),
  });
  const entry = query.data;

  return (
    <Card withBorder component="section" aria-labelledby="context-entry-title">
      <Stack gap="xs">
        <Title order={2} size="h3" id="context-entry-title">
          {entryKey}
        </Title>
        <QueryState query={query} what={`the entry ${entryKey}`} />
        {entry && !query.isError && (
          <>
            <Text size="sm" data-testid="context-entry-version">
              Version {String(entry.version)}, made by <SubjectWithName subject={entry.updatedBy} /> on{' '}
              {timeText(entry.updateTime)}; created on {timeText(entry.createTime)}
            </Text>
            {/* Focusable: a long value scrolls inside its box, and a keyboard must reach that scroll. */}
            <Code
              block
              tabIndex={0}
              aria-label={`Value of ${entry.key}`}
              data-testid="context-entry-value"
              style={{ maxHeight: 360, overflow: 'auto' }}
            >
              {indentJson(entry.valueJson)}
            </Code>
            {canWrite && (
              <Group>
                <Button
                  variant="default"
                  onClick={() =>
                    onEdit({
                      key: entry.key,
                      // The stored text as it is: saving it unchanged must not write a reformatted version.
                      value: entry.valueJson,
                      expectedVersion: Number(entry.version),
                    })
                  }
                >
                  Change this value
                </Button>
                <ConfirmButton
                  label="Delete"
                  title={`Delete ${entry.key}?`}
                  color="red.9"
                  variant="outline"
                  onConfirm={async () =>
                    onDeleted(
                      await context.deleteContext({
                        scope,
                        key: entry.key,
                        expectedVersion: entry.version,
                        requestId: uuid(),
                      }),
                    )
                  }
                >
                  Deletes version {String(entry.version)} of {entry.key} in {scope}, as a new version with no value;
                  earlier versions stay in the log. If someone changed it since, nothing is deleted (ABORTED).
                </ConfirmButton>
              </Group>
            )}
          </>
        )}
      </Stack>
    </Card>
  );
}
