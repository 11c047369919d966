import { useState } from 'react';
import { Alert, Anchor, List, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { context } from '../../api/transport';
import { SubjectWithName } from '../../components/NameWithId';
import { PagerButtons, usePageTokens } from '../../components/page-token-pager';
import { QueryState } from '../../components/QueryState';
import { timeText } from '../../components/time-text';
import type { ContextEntry } from '../../gen/aos/v1/context_pb';
import { useSession } from '../../session/session.context';
import { changeKey, useLiveContextChanges } from './context-live';
import { ContextEntryCard } from './ContextEntryCard';
import { EMPTY_DRAFT, PutContextForm, type ContextDraft } from './PutContextForm';

const PAGE_SIZE = 25;
const PREVIEW_CHARS = 60;

function preview(valueJson: string): string {
  return valueJson.length > PREVIEW_CHARS ? `${valueJson.slice(0, PREVIEW_CHARS)}…` : valueJson;
}

function LiveChanges({ changes, error }: { changes: ContextEntry[]; error: string | null }) {
  return (
    <Stack component="section" aria-labelledby="context-changes-title" gap="xs">
      <Title order={2} size="h3" id="context-changes-title">
        Changes while this page is open
      </Title>
      {error && <Alert color="yellow">{error}</Alert>}
      {changes.length === 0 ? (
        <Text size="sm">
          None yet: a change made here or elsewhere (by a person or an agent) shows up as it happens.
        </Text>
      ) : (
        <List aria-label="Changes while this page is open" data-testid="context-changes">
          {changes.map((e) => (
            <List.Item key={changeKey(e)}>
              {e.key} version {String(e.version)} {e.deleted ? 'deleted' : 'put'} by{' '}
              <SubjectWithName subject={e.updatedBy} /> on {timeText(e.updateTime)}
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}

/**
 * A scope's entries, paged, kept current: WatchContext reports every change,
 * and each one makes the page read the list (and the open entry) again at
 * that log position, so what is shown is never older than the newest change.
 */
export function ContextScopeEntries({ scope }: { scope: string }) {
  const { can } = useSession();
  const canWrite = can('context.write');
  const [params, setParams] = useSearchParams();
  const selectedKey = params.get('key');
  const pager = usePageTokens();
  // The newest log position this page knows of; every read waits for it (min_position).
  const [seen, setSeen] = useState(0n);
  const reached = (position: bigint) => setSeen((s) => (position > s ? position : s));
  const list = useQuery({
    queryKey: ['context', scope, 'entries', pager.token, String(seen)],
    placeholderData: keepPreviousData,
    queryFn: () => context.listContext({ scope, pageSize: PAGE_SIZE, pageToken: pager.token, minPosition: seen }),
  });
  // Fixed once, at the first list read: the watch starts right after the log position that read reflects
  // (ListContext's `position`), so every change the list does not hold is shown once, deleted keys' and
  // other pages' included, and none it holds.
  const [watchFrom, setWatchFrom] = useState<bigint>();
  if (watchFrom === undefined && list.isSuccess && !list.isPlaceholderData) {
    setWatchFrom(list.data.position);
  }
  const live = useLiveContextChanges(scope, watchFrom, (entry) => reached(entry.logPosition));
  const [draft, setDraft] = useState<{ n: number; draft: ContextDraft }>({ n: 0, draft: EMPTY_DRAFT });
  const linkTo = (key: string) => `?${new URLSearchParams({ scope, key }).toString()}`;

  return (
    <Stack>
      <Stack component="section" aria-labelledby="context-entries-title">
        <Title order={2} size="h3" id="context-entries-title">
          Entries in {scope}
        </Title>
        {canWrite && (
          <PutContextForm
            key={draft.n}
            scope={scope}
            initial={draft.draft}
            onPut={(entry) => {
              reached(entry.logPosition);
              setParams({ scope, key: entry.key });
            }}
          />
        )}
        <QueryState query={list} what="context entries" />
        {list.data && !list.isError && list.data.entries.length === 0 && <Alert>No entries in {scope} yet.</Alert>}
        {list.data && !list.isError && list.data.entries.length > 0 && (
          <>
            <Table.ScrollContainer minWidth={0} type="native">
              <Table striped highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Key</Table.Th>
                    <Table.Th>Version</Table.Th>
                    <Table.Th>Value</Table.Th>
                    <Table.Th>Updated by</Table.Th>
                    <Table.Th>Updated</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.data.entries.map((e) => (
                    <Table.Tr key={e.key} aria-current={e.key === selectedKey ? 'true' : undefined}>
                      <Table.Td>
                        <Anchor component={Link} to={linkTo(e.key)}>
                          {e.key}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{String(e.version)}</Table.Td>
                      <Table.Td ff="monospace">{preview(e.valueJson)}</Table.Td>
                      <Table.Td>
                        <SubjectWithName subject={e.updatedBy} />
                      </Table.Td>
                      <Table.Td>{timeText(e.updateTime)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <PagerButtons pager={pager} nextPageToken={list.data.nextPageToken} label="Context entries" />
          </>
        )}
      </Stack>
      {selectedKey && (
        <ContextEntryCard
          key={selectedKey}
          scope={scope}
          entryKey={selectedKey}
          seen={seen}
          canWrite={canWrite}
          onEdit={(d) => setDraft((prev) => ({ n: prev.n + 1, draft: d }))}
          onDeleted={(entry) => {
            reached(entry.logPosition);
            setParams({ scope });
          }}
        />
      )}
      <LiveChanges changes={live.changes} error={live.error} />
    </Stack>
  );
}
