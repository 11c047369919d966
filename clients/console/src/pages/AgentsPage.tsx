import { useState } from 'react';
import { Anchor, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { agents } from '../api/transport';
import { AgentState } from '../gen/aos/v1/agent_pb';
import { PagerButtons, usePageTokens } from '../components/page-token-pager';
import { StateFilter } from '../components/StateFilter';
import { QueryState } from '../components/QueryState';
import { StateBadge } from '../components/StateBadge';
import { AgentHealth } from '../components/AgentHealth';
import { useSession } from '../session/session.context';

const PAGE_SIZE = 25;
const STATE_OPTIONS = ['DRAFT', 'ACTIVE', 'PAUSED', 'RETIRED'];
const HEALTH_OPTIONS = ['HEALTHY', 'DEGRADED', 'UNHEALTHY', 'UNKNOWN'];

export function AgentsPage() {
  const { can } = useSession();
  const [state, setState] = useState<string | null>(null);
  const [health, setHealth] = useState<string | null>(null);
  const pager = usePageTokens();
  const filter = [state && `state = ${state}`, health && `health = ${health}`].filter(Boolean).join(' AND ');
  const list = useQuery({
    queryKey: ['agents', filter, pager.token],
    placeholderData: keepPreviousData,
    queryFn: () => agents.listAgents({ filter, pageSize: PAGE_SIZE, pageToken: pager.token }),
  });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Agents</Title>
        {can('agents.create') && (
          <Button component={Link} to="/agents/new">
            Create agent
          </Button>
        )}
      </Group>
      <Group align="flex-end">
        <StateFilter states={STATE_OPTIONS} value={state} onChange={setState} pager={pager} />
        <StateFilter
          label="Health"
          placeholder="Any health"
          states={HEALTH_OPTIONS}
          value={health}
          onChange={setHealth}
          pager={pager}
        />
      </Group>
      <QueryState query={list} what="agents" />
      {list.data && (
        <>
          <Text size="sm">{list.data.totalSize} agent(s)</Text>
          <Table.ScrollContainer minWidth={0} type="native">
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>What it does</Table.Th>
                  <Table.Th>Capabilities</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Health (newest 10 runs)</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.agents.map((a) => (
                  <Table.Tr key={a.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/agents/${a.id}`}>
                        {a.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{a.description}</Table.Td>
                    <Table.Td>{a.capabilities.join(', ')}</Table.Td>
                    <Table.Td>
                      <StateBadge state={AgentState[a.state]} />
                    </Table.Td>
                    <Table.Td miw={220}>
                      <AgentHealth agent={a} lines={2} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <PagerButtons pager={pager} nextPageToken={list.data.nextPageToken} label="Agent list" />
        </>
      )}
    </Stack>
  );
}
