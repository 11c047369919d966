import { useState, type FormEvent } from 'react';
import { Alert, Button, Card, Group, NumberInput, Select, Stack, Table, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Code } from '@connectrpc/connect';
import { v4 as uuid } from 'uuid';
import { allPages } from '../../api/all-pages';
import { isStatus } from '../../api/error-words';
import { agents, governance } from '../../api/transport';
import { QueryState } from '../../components/QueryState';
import { timeText } from '../../components/time-text';
import { BudgetPeriod, BudgetScope, type Budget } from '../../gen/aos/v1/governance_pb';
import { useSession } from '../../session/session.context';
import { MutationError } from '../../components/MutationError';
import { microsFromUnits, unitsFromMicros, unitsOf } from './budget-money';
import { useMutationForm } from '../../components/use-mutation-form';

const PERIODS = ['DAILY', 'MONTHLY', 'LIFETIME'] as const;
type Period = (typeof PERIODS)[number];

function BudgetFigures({ budget }: { budget: Budget }) {
  const limit = (used: string, max: bigint, show: (v: bigint) => string) =>
    max === 0n ? `${used} used, no limit` : `${used} used of ${show(max)}`;
  return (
    <Table variant="vertical" aria-label="Budget figures">
      <Table.Tbody>
        <Table.Tr>
          <Table.Th w={160}>Period</Table.Th>
          <Table.Td>
            {BudgetPeriod[budget.period]} since {timeText(budget.periodStart)}
          </Table.Td>
        </Table.Tr>
        <Table.Tr>
          <Table.Th>Cost</Table.Th>
          <Table.Td>{limit(unitsFromMicros(budget.costUsedMicros), budget.costLimitMicros, unitsFromMicros)}</Table.Td>
        </Table.Tr>
        <Table.Tr>
          <Table.Th>Tokens</Table.Th>
          <Table.Td>{limit(budget.tokensUsed.toLocaleString(), budget.tokenLimit, (v) => v.toLocaleString())}</Table.Td>
        </Table.Tr>
        <Table.Tr>
          <Table.Th>Exhausted</Table.Th>
          <Table.Td>{budget.exhausted ? 'Yes: calls that cost are refused' : 'No'}</Table.Td>
        </Table.Tr>
      </Table.Tbody>
    </Table>
  );
}

function SetBudgetForm({ agentId, current }: { agentId: string; current: Budget | undefined }) {
  const queryClient = useQueryClient();
  const [period, setPeriod] = useState<Period>(current ? (BudgetPeriod[current.period] as Period) : 'MONTHLY');
  const [cost, setCost] = useState<number | string>(current ? unitsOf(current.costLimitMicros) : '');
  const [tokens, setTokens] = useState<number | string>(current ? Number(current.tokenLimit) : '');
  const form = useMutationForm();

  async function save(event: FormEvent) {
    event.preventDefault();
    const scope = agentId ? BudgetScope.AGENT : BudgetScope.TENANT;
    const saved = await form.run(() =>
      governance.setBudget({
        scope,
        agentId,
        period: BudgetPeriod[period],
        costLimitMicros: microsFromUnits(Number(cost || 0)),
        tokenLimit: BigInt(Math.round(Number(tokens || 0))),
        requestId: uuid(),
      }),
    );
    if (saved) await queryClient.invalidateQueries({ queryKey: ['budget', agentId] });
  }

  return (
    <form onSubmit={save} noValidate aria-label={agentId ? 'Set the agent budget' : 'Set the tenant budget'}>
      <Group align="flex-end">
        <Select
          label="Period"
          data={[...PERIODS]}
          value={period}
          onChange={(v) => setPeriod((v as Period) ?? 'MONTHLY')}
          allowDeselect={false}
          w={140}
        />
        <NumberInput
          label="Cost limit"
          description="In currency units; empty or 0: no limit"
          value={cost}
          onChange={setCost}
          min={0}
          decimalScale={6}
          thousandSeparator=","
          w={200}
        />
        <NumberInput
          label="Token limit"
          description="Empty or 0: no limit"
          value={tokens}
          onChange={setTokens}
          min={0}
          allowDecimal={false}
          thousandSeparator=","
          w={200}
        />
        <Button type="submit" loading={form.busy}>
          Save budget
        </Button>
      </Group>
      <MutationError error={form.error} />
    </form>
  );
}

function BudgetCard({ title, agentId }: { title: string; agentId: string }) {
  const { can } = useSession();
  const budget = useQuery({
    queryKey: ['budget', agentId],
    queryFn: async () => {
      try {
        return await governance.getBudget({ scope: agentId ? BudgetScope.AGENT : BudgetScope.TENANT, agentId });
      } catch (e) {
        // No budget set is an answer, not a failure.
        if (isStatus(e, Code.NotFound)) return null;
        throw e;
      }
    },
  });
  return (
    <Card withBorder component="section" aria-label={title}>
      <Stack>
        <Title order={3} size="h4">
          {title}
        </Title>
        <QueryState query={budget} what={title} />
        {budget.data === null && <Alert>No budget is set.</Alert>}
        {budget.data && <BudgetFigures budget={budget.data} />}
        {can('budgets.set') && budget.isSuccess && (
          <SetBudgetForm key={String(budget.data?.logPosition)} agentId={agentId} current={budget.data ?? undefined} />
        )}
      </Stack>
    </Card>
  );
}

/** The tenant's budget and one agent's, cost in currency units. */
export function BudgetsPanel() {
  const { can } = useSession();
  const [agentId, setAgentId] = useState<string | null>(null);
  const agentOptions = useQuery({
    queryKey: ['agents', 'all'],
    enabled: can('agents.list'),
    queryFn: () =>
      allPages(async (pageToken) => {
        const p = await agents.listAgents({ pageSize: 1000, pageToken });
        return { items: p.agents.map((a) => ({ value: a.id, label: a.name })), nextPageToken: p.nextPageToken };
      }),
  });
  return (
    <Stack>
      <Title order={2} size="h3">
        Budgets
      </Title>
      <BudgetCard title="Tenant budget" agentId="" />
      {can('agents.list') && (
        <Select
          label="Agent"
          placeholder="Pick an agent to see its budget"
          data={agentOptions.data ?? []}
          value={agentId}
          onChange={setAgentId}
          searchable
          clearable
          w={320}
        />
      )}
      {agentId && <BudgetCard key={agentId} title="Agent budget" agentId={agentId} />}
    </Stack>
  );
}
