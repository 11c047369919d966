import { useState } from 'react';
import { Badge, Card, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { v4 as uuid } from 'uuid';
import { agents } from '../api/transport';
import { AgentState, type Agent, type AgentVersion } from '../gen/aos/v1/agent_pb';
import { ConfirmButton } from '../components/ConfirmButton';
import { PagerButtons, usePageTokens } from '../components/page-token-pager';
import { NameWithId } from '../components/NameWithId';
import { QueryState } from '../components/QueryState';
import { timeText } from '../components/time-text';
import { useSession } from '../session/session.context';
import { diffVersions, fieldLabel, type FieldDifference } from './agent-version-diff';

const PAGE_SIZE = 10;

function whatChanged(v: AgentVersion): string {
  if (v.rolledBackTo) return `Rolled back to version ${v.rolledBackTo}`;
  if (v.definitionVersion === 1n) return 'Created';
  return v.changedFields.length ? `Changed: ${v.changedFields.map(fieldLabel).join(', ')}` : 'No field changed';
}

function ValueCell({ values, marked, color }: { values: string[]; marked: string[]; color: string }) {
  if (values.length === 0 || (values.length === 1 && values[0] === '')) return <Text size="sm">(empty)</Text>;
  return (
    <Group gap={4}>
      {values.map((v) =>
        marked.includes(v) && values.length > 1 ? (
          <Badge key={v} color={color} variant="light" c="gray.9" tt="none">
            {v}
          </Badge>
        ) : (
          <Text key={v} size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {values.length > 1 ? `${v};` : v}
          </Text>
        ),
      )}
    </Group>
  );
}

function VersionDiff({ older, newer }: { older: AgentVersion; newer: AgentVersion }) {
  const differences: FieldDifference[] = diffVersions(older, newer);
  if (differences.length === 0)
    return (
      <Text size="sm">
        Versions {String(older.definitionVersion)} and {String(newer.definitionVersion)} are the same.
      </Text>
    );
  return (
    <Table withTableBorder aria-label="Differences between the two versions">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>What</Table.Th>
          <Table.Th>Version {String(older.definitionVersion)}</Table.Th>
          <Table.Th>Version {String(newer.definitionVersion)}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {differences.map((d) => (
          <Table.Tr key={d.label}>
            <Table.Th scope="row">{d.label}</Table.Th>
            <Table.Td>
              <ValueCell values={d.older} marked={d.removed} color="red" />
            </Table.Td>
            <Table.Td>
              <ValueCell values={d.newer} marked={d.added} color="green" />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The agent's definition versions, newest first, a side-by-side diff of two of them, and rollback. */
export function AgentVersionHistory({ agent }: { agent: Agent }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const pager = usePageTokens();
  const versions = useQuery({
    queryKey: ['agentVersions', agent.id, pager.token, String(agent.definitionVersion)],
    queryFn: () => agents.listAgentVersions({ id: agent.id, pageSize: PAGE_SIZE, pageToken: pager.token }),
  });
  const [picked, setPicked] = useState<{ older?: string; newer?: string }>({});
  const list = versions.data?.versions ?? [];
  const byNumber = (n: string | undefined) => list.find((v) => String(v.definitionVersion) === n);
  const newer = byNumber(picked.newer) ?? list[0];
  const older = byNumber(picked.older) ?? list.find((v) => v !== newer);
  const options = list.map((v) => ({ value: String(v.definitionVersion), label: `Version ${v.definitionVersion}` }));
  const mayRollBack = can('agents.update') && agent.state !== AgentState.RETIRED;

  async function rollBack(to: bigint) {
    const updated = await agents.rollbackAgent({
      id: agent.id,
      toVersion: to,
      expectedRevision: agent.revision,
      requestId: uuid(),
    });
    queryClient.setQueryData(['agent', agent.id], updated);
    setPicked({});
    await queryClient.invalidateQueries({ queryKey: ['agentVersions', agent.id] });
  }

  return (
    <Card withBorder component="section" aria-label="Definition history">
      <Stack>
        <Title order={2} size="h4">
          Definition history
        </Title>
        <QueryState query={versions} what="the definition history" />
        {versions.data && (
          <>
            <Table aria-label="Versions">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>When</Table.Th>
                  <Table.Th>By</Table.Th>
                  <Table.Th>What changed</Table.Th>
                  {mayRollBack && <Table.Th>Action</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((v) => (
                  <Table.Tr key={String(v.definitionVersion)} data-testid={`version-${v.definitionVersion}`}>
                    <Table.Td>
                      {String(v.definitionVersion)}
                      {v.definitionVersion === agent.definitionVersion ? ' (current)' : ''}
                    </Table.Td>
                    <Table.Td>{timeText(v.createTime)}</Table.Td>
                    <Table.Td>
                      <NameWithId kind="principal" id={v.createdBy} />
                    </Table.Td>
                    <Table.Td>{whatChanged(v)}</Table.Td>
                    {mayRollBack && (
                      <Table.Td>
                        {v.definitionVersion !== agent.definitionVersion && (
                          <ConfirmButton
                            size="xs"
                            variant="default"
                            label={`Roll back to version ${v.definitionVersion}`}
                            title={`Roll ${agent.name} back to version ${v.definitionVersion}?`}
                            onConfirm={() => rollBack(v.definitionVersion)}
                          >
                            A new version {String(agent.definitionVersion + 1n)} is recorded with the definition of
                            version {String(v.definitionVersion)}; the versions in between stay in the history.
                          </ConfirmButton>
                        )}
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <PagerButtons pager={pager} nextPageToken={versions.data.nextPageToken} label="Versions" />
            {older && newer && (
              <Stack gap="xs">
                <Title order={3} size="h5">
                  Compare two versions
                </Title>
                <Group>
                  <Select
                    label="Older version"
                    data={options}
                    value={String(older.definitionVersion)}
                    onChange={(value) => setPicked((p) => ({ ...p, older: value ?? undefined }))}
                    allowDeselect={false}
                  />
                  <Select
                    label="Newer version"
                    data={options}
                    value={String(newer.definitionVersion)}
                    onChange={(value) => setPicked((p) => ({ ...p, newer: value ?? undefined }))}
                    allowDeselect={false}
                  />
                </Group>
                <VersionDiff older={older} newer={newer} />
              </Stack>
            )}
          </>
        )}
      </Stack>
    </Card>
  );
}
