import type { ReactNode } from 'react';
import { Anchor, Card, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { agents, governance, tasks } from '../api/transport';
import { allPages } from '../api/all-pages';
import { AgentState, HealthStatus, type Agent } from '../gen/aos/v1/agent_pb';
import { ApprovalState } from '../gen/aos/v1/governance_pb';
import { QueryState } from '../components/QueryState';
import { StateBadge } from '../components/StateBadge';
import { AgentHealth, healthName } from '../components/AgentHealth';
import { useSession } from '../session/session.context';
import { BudgetSpendCard } from './BudgetSpendCard';
import { TasksByStateCard } from './TasksByStateCard';
import { ThroughputCard } from './ThroughputCard';

const AGENT_STATES = [AgentState.DRAFT, AgentState.ACTIVE, AgentState.PAUSED, AgentState.RETIRED];
// Polling pauses while the tab is hidden: TanStack Query's refetchIntervalInBackground is left false.
const REFRESH_MS = 5000;
const EVERY_ITEM_REFRESH_MS = 15_000;
const HEALTHS = [HealthStatus.HEALTHY, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY, HealthStatus.UNKNOWN];

/**
 * Every agent, through every page: the health card tallies this list and names the failing agents, and the state
 * card counts the same list rather than asking once more per state or health. Both cards select from this one query,
 * so each refresh reads the list once; it is the costly read here, so it refreshes less often than the small counts.
 */
const everyAgent = {
  queryKey: ['overview', 'every-agent'],
  refetchInterval: EVERY_ITEM_REFRESH_MS,
  queryFn: () =>
    allPages(async (pageToken) => {
      const page = await agents.listAgents({ pageSize: 1000, pageToken });
      return { items: page.agents, nextPageToken: page.nextPageToken };
    }),
} as const;

function agentStateCounts(all: Agent[]): { state: string; count: number }[] {
  return AGENT_STATES.map((s) => ({ state: AgentState[s], count: all.filter((a) => a.state === s).length }));
}

/** What UNKNOWN means, beside its count. */
const HEALTH_HINTS: Record<string, string> = { UNKNOWN: 'no run ended yet' };
/** How many failing agents the card names; the rest are counted. */
const ATTENTION_LIMIT = 10;

/** The not-retired agents by health, and the failing ones (UNHEALTHY first) that the card names. */
function agentHealthOverview(all: Agent[]): { rows: CountRow[]; failing: Agent[] } {
  const working = all.filter((a) => a.state !== AgentState.RETIRED);
  const rows = HEALTHS.map((h) => ({
    state: HealthStatus[h],
    hint: HEALTH_HINTS[HealthStatus[h]],
    count: working.filter((a) => healthName(a) === HealthStatus[h]).length,
  }));
  const failing = [
    ...working.filter((a) => healthName(a) === 'UNHEALTHY'),
    ...working.filter((a) => healthName(a) === 'DEGRADED'),
  ];
  return { rows, failing };
}

/** The failing agents, each linked to its page with what went wrong last. */
function FailingAgents({ failing }: { failing: Agent[] }) {
  if (failing.length === 0) return <Text size="sm">No agent is failing its runs.</Text>;
  return (
    <Stack gap={6} mt="xs" aria-label="Failing agents" component="section">
      <Title order={3} size="h5">
        Failing agents
      </Title>
      {failing.slice(0, ATTENTION_LIMIT).map((a) => (
        <Stack key={a.id} gap={2}>
          <Anchor component={Link} to={`/agents/${a.id}`} size="sm">
            {a.name}
          </Anchor>
          <AgentHealth agent={a} lines={3} />
        </Stack>
      ))}
      {failing.length > ATTENTION_LIMIT && <Text size="sm">and {failing.length - ATTENTION_LIMIT} more</Text>}
    </Stack>
  );
}

/** Every pending approval, through every page: the inbox count must never be short. */
async function pendingApprovalCount(): Promise<number> {
  const pending = await allPages(async (pageToken) => {
    const page = await governance.listApprovals({ state: ApprovalState.PENDING, pageSize: 1000, pageToken });
    return { items: page.approvals, nextPageToken: page.nextPageToken };
  });
  return pending.length;
}

interface CountRow {
  state: string;
  count: number;
  /** What the state means, when its name does not say it. */
  hint?: string;
}

function CountsCard({ title, rows, children }: { title: string; rows: CountRow[]; children?: ReactNode }) {
  return (
    <Card withBorder component="section" aria-label={title}>
      <Title order={2} size="h4" mb="xs">
        {title}
      </Title>
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>State</Table.Th>
            <Table.Th ta="right">Count</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={r.state}>
              <Table.Td>
                <StateBadge state={r.state} />
                {r.hint && (
                  <Text span size="sm" ml="xs">
                    {r.hint}
                  </Text>
                )}
              </Table.Td>
              <Table.Td ta="right">{r.count}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {children}
    </Card>
  );
}

export function OverviewPage() {
  const { can } = useSession();
  const agentCounts = useQuery({ ...everyAgent, enabled: can('agents.list'), select: agentStateCounts });
  const agentHealth = useQuery({ ...everyAgent, enabled: can('agents.list'), select: agentHealthOverview });
  const approvals = useQuery({
    queryKey: ['overview', 'approvals'],
    enabled: can('approvals.list'),
    refetchInterval: REFRESH_MS,
    queryFn: pendingApprovalCount,
  });
  const failures = useQuery({
    queryKey: ['overview', 'failures'],
    enabled: can('tasks.list'),
    refetchInterval: REFRESH_MS,
    queryFn: () => tasks.listTasks({ filter: 'state = FAILED', pageSize: 5 }),
  });

  return (
    <Stack>
      <Title order={1}>Overview</Title>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        {can('approvals.list') && (
          <Card withBorder component="section" aria-label="Approvals waiting">
            <Title order={2} size="h4">
              Approvals waiting
            </Title>
            <QueryState query={approvals} what="approvals" />
            {approvals.data !== undefined && (
              <Text size="xl" fw={700} data-testid="approvals-waiting">
                {approvals.data}
              </Text>
            )}
            <Anchor component={Link} to="/approvals">
              Open the approvals inbox
            </Anchor>
          </Card>
        )}
        {can('agents.list') && (
          <div>
            <QueryState query={agentCounts} what="agent counts" />
            {agentCounts.data && <CountsCard title="Agents by state" rows={agentCounts.data} />}
          </div>
        )}
        {can('agents.list') && (
          <div>
            <QueryState query={agentHealth} what="agent health" />
            {agentHealth.data && (
              <CountsCard title="Agents by health (not retired)" rows={agentHealth.data.rows}>
                <Text size="sm" mt="xs">
                  From each agent&apos;s newest 10 runs: a run a person rejected, a used-up budget or a cancellation
                  does not count against it.
                </Text>
                <FailingAgents failing={agentHealth.data.failing} />
              </CountsCard>
            )}
          </div>
        )}
        {can('tasks.list') && <TasksByStateCard />}
      </SimpleGrid>
      {can('tasks.list') && <ThroughputCard />}
      <BudgetSpendCard />
      {can('tasks.list') && (
        <Card withBorder component="section" aria-label="Failed tasks">
          <Title order={2} size="h4" mb="xs">
            Failed tasks
          </Title>
          <QueryState query={failures} what="failed tasks" />
          {failures.data && failures.data.tasks.length === 0 && <Text size="sm">No task has failed.</Text>}
          <Stack gap={4}>
            {failures.data?.tasks.map((t) => (
              <Text key={t.id} size="sm">
                <Anchor component={Link} to={`/tasks/${t.id}`}>
                  {t.text.slice(0, 80)}
                </Anchor>
                {' — '}
                {t.failureReason || t.failureCode || 'no reason recorded'}
              </Text>
            ))}
          </Stack>
        </Card>
      )}
    </Stack>
  );
}
