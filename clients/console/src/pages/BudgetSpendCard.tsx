import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Badge, Card, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Code } from '@connectrpc/connect';
import { agents, governance } from '../api/transport';
import { isStatus } from '../api/error-words';
import { BudgetScope, type Budget } from '../gen/aos/v1/governance_pb';
import { QueryState } from '../components/QueryState';
import { useSession } from '../session/session.context';
import { costWords, percentUsed, tokenWords } from './budget-spend';

const REFRESH_MS = 5000;
// Agent budgets are one call per agent: only the first page of active agents, so the overview stays cheap.
const AGENTS_CHECKED = 20;

/** A budget, or null when none is set (NOT_FOUND): "no budget" is an answer, not an error and never $0. */
async function budgetOrNone(scope: BudgetScope, agentId = ''): Promise<Budget | null> {
  try {
    return await governance.getBudget({ scope, agentId });
  } catch (e) {
    if (isStatus(e, Code.NotFound)) return null;
    throw e;
  }
}

interface Row {
  name: string;
  budget: Budget;
}

async function loadBudgets(withAgents: boolean): Promise<{ tenant: Budget | null; agentRows: Row[] }> {
  const tenant = await budgetOrNone(BudgetScope.TENANT);
  if (!withAgents) return { tenant, agentRows: [] };
  const active = await agents.listAgents({ filter: 'state = ACTIVE', pageSize: AGENTS_CHECKED });
  const found = await Promise.all(
    active.agents.map(async (a) => ({ name: a.name, budget: await budgetOrNone(BudgetScope.AGENT, a.id) })),
  );
  return { tenant, agentRows: found.filter((r): r is Row => r.budget !== null) };
}

export function BudgetSpendCard() {
  const { can } = useSession();
  const budgets = useQuery({
    queryKey: ['overview', 'budgets'],
    enabled: can('budgets.get'),
    refetchInterval: REFRESH_MS,
    queryFn: () => loadBudgets(can('agents.list')),
  });
  if (!can('budgets.get')) return null;
  const rows: Row[] = budgets.data
    ? [
        ...(budgets.data.tenant ? [{ name: 'Whole tenant', budget: budgets.data.tenant }] : []),
        ...budgets.data.agentRows,
      ]
    : [];
  const chartData = rows
    .map((r) => ({
      budget: r.name,
      'Cost used (%)': percentUsed(r.budget.costUsedMicros, r.budget.costLimitMicros),
      'Tokens used (%)': percentUsed(r.budget.tokensUsed, r.budget.tokenLimit),
    }))
    .filter((d) => d['Cost used (%)'] !== undefined || d['Tokens used (%)'] !== undefined);

  return (
    <Card withBorder component="section" aria-label="Spend against budgets">
      <Stack gap="xs">
        <Title order={2} size="h4">
          Spend against budgets
        </Title>
        <QueryState query={budgets} what="budgets" />
        {budgets.data && !budgets.data.tenant && (
          <Text size="sm" data-testid="tenant-budget">
            No budget is set for the tenant, so spending is not limited or tracked against one.
          </Text>
        )}
        {budgets.data && rows.length > 0 && (
          <Table aria-label="Budgets">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Budget</Table.Th>
                <Table.Th>Cost</Table.Th>
                <Table.Th>Tokens</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.name}>
                  <Table.Td>
                    {r.name}{' '}
                    {r.budget.exhausted && (
                      <Badge color="red" variant="light" c="gray.9">
                        exhausted
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>{costWords(r.budget)}</Table.Td>
                  <Table.Td>{tokenWords(r.budget)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {chartData.length > 0 && (
          <div role="img" aria-label="Share of each budget used, in percent (the table above says the same in words)">
            <BarChart
              h={Math.max(120, chartData.length * 56)}
              data={chartData}
              dataKey="budget"
              orientation="vertical"
              yAxisProps={{ width: 140 }}
              xAxisProps={{ domain: [0, 100] }}
              valueFormatter={(value) => `${value} %`}
              withLegend
              series={[
                { name: 'Cost used (%)', color: 'blue.7' },
                { name: 'Tokens used (%)', color: 'teal.8' },
              ]}
            />
          </div>
        )}
      </Stack>
    </Card>
  );
}
