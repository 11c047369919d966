import type { ReactNode } from 'react';
import { Anchor, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { v4 as uuid } from 'uuid';
import { agents } from '../api/transport';
import { AgentState, type Agent } from '../gen/aos/v1/agent_pb';
import { AgentHealth } from '../components/AgentHealth';
import { ConfirmButton } from '../components/ConfirmButton';
import { QueryState } from '../components/QueryState';
import { StateBadge } from '../components/StateBadge';
import { timeText } from '../components/time-text';
import { useSession } from '../session/session.context';
import { AgentVersionHistory } from './AgentVersionHistory';

type Transition = 'deployAgent' | 'pauseAgent' | 'resumeAgent' | 'retireAgent';

// Which transitions each state allows, as the lifecycle decider does: a button
// for an illegal one would only earn a FAILED_PRECONDITION.
const TRANSITIONS: {
  method: Transition;
  label: string;
  permission: string;
  from: AgentState[];
  explain: string;
  color?: string;
}[] = [
  {
    method: 'deployAgent',
    label: 'Deploy',
    permission: 'agents.deploy',
    from: [AgentState.DRAFT],
    explain: 'It starts taking tasks.',
  },
  {
    method: 'pauseAgent',
    label: 'Pause',
    permission: 'agents.pause',
    from: [AgentState.ACTIVE],
    explain: 'It stops taking tasks; its queued tasks are routed elsewhere.',
  },
  {
    method: 'resumeAgent',
    label: 'Resume',
    permission: 'agents.resume',
    from: [AgentState.PAUSED],
    explain: 'It takes tasks again.',
  },
  {
    method: 'retireAgent',
    label: 'Retire',
    permission: 'agents.retire',
    from: [AgentState.DRAFT, AgentState.ACTIVE, AgentState.PAUSED],
    explain: 'It never takes a task again. This cannot be undone.',
    color: 'red',
  },
];

function AgentDetails({ agent }: { agent: Agent }) {
  const rows: [string, ReactNode][] = [
    ['What it does', agent.description || '—'],
    ['Capabilities', agent.capabilities.join(', ') || '—'],
    ['Model', agent.model || 'the default model'],
    ['Instructions', agent.instructions || '—'],
    ['Tools', agent.toolIds.join(', ') || 'none'],
    ['Knowledge bases', agent.knowledgeBaseIds.join(', ') || 'none'],
    ['Health (newest 10 runs)', <AgentHealth agent={agent} />],
    ['Newest run ended', timeText(agent.health?.lastHeartbeatTime)],
    ['Definition version', String(agent.definitionVersion)],
    ['Created', timeText(agent.createTime)],
    ['Updated', timeText(agent.updateTime)],
    ['Id', agent.id],
  ];
  return (
    <Table variant="vertical" withTableBorder>
      <Table.Tbody>
        {rows.map(([label, value]) => (
          <Table.Tr key={label}>
            <Table.Th w={200}>{label}</Table.Th>
            <Table.Td style={{ whiteSpace: 'pre-wrap' }}>{value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function AgentPage() {
  const { id = '' } = useParams();
  const { can } = useSession();
  const queryClient = useQueryClient();
  const agent = useQuery({ queryKey: ['agent', id], queryFn: () => agents.getAgent({ id }) });

  async function transition(method: Transition) {
    const a = agent.data!;
    const updated = await agents[method]({ id, expectedRevision: a.revision, requestId: uuid() });
    queryClient.setQueryData(['agent', id], updated);
    await queryClient.invalidateQueries({ queryKey: ['agents'] });
  }

  return (
    <Stack>
      <Anchor component={Link} to="/agents" size="sm">
        ← All agents
      </Anchor>
      <QueryState query={agent} what="the agent" />
      {agent.data && (
        <>
          <Group>
            <Title order={1}>{agent.data.name}</Title>
            <StateBadge state={AgentState[agent.data.state]} />
          </Group>
          <Group aria-label="Agent actions" role="group">
            {TRANSITIONS.filter((t) => t.from.includes(agent.data.state) && can(t.permission)).map((t) => (
              <ConfirmButton
                key={t.method}
                label={t.label}
                color={t.color}
                title={`${t.label} ${agent.data.name}?`}
                onConfirm={() => transition(t.method)}
              >
                {t.explain}
              </ConfirmButton>
            ))}
          </Group>
          <AgentDetails agent={agent.data} />
          <Text size="xs">Revision {String(agent.data.revision)}</Text>
          <AgentVersionHistory agent={agent.data} />
        </>
      )}
    </Stack>
  );
}
