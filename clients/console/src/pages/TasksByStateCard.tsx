import { Card, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { tasks } from '../api/transport';
import { TaskState } from '../gen/aos/v1/task_pb';
import { QueryState } from '../components/QueryState';
import { StateBadge } from '../components/StateBadge';

const TASK_STATES = [
  TaskState.QUEUED,
  TaskState.ASSIGNED,
  TaskState.RUNNING,
  TaskState.WAITING_APPROVAL,
  TaskState.SUCCEEDED,
  TaskState.FAILED,
  TaskState.CANCELLED,
];
// Polling pauses while the tab is hidden: TanStack Query's refetchIntervalInBackground is left false.
const REFRESH_MS = 5000;

export interface TaskStateCount {
  state: string;
  today: number;
  allTime: number;
}

/** This browser's local midnight, as the RFC 3339 time ListTasks' create_time filter takes. */
export function localMidnight(now: Date = new Date()): string {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString();
}

/**
 * Tasks by state, submitted today and in all: each count is a list's total_size (one small page per state and window),
 * never a tally of a partial list.
 */
async function taskStateCounts(): Promise<TaskStateCount[]> {
  const since = `create_time >= ${JSON.stringify(localMidnight())}`;
  const count = async (filter: string) => (await tasks.listTasks({ filter, pageSize: 1 })).totalSize;
  return Promise.all(
    TASK_STATES.map(async (s) => {
      const state = `state = ${TaskState[s]}`;
      const [today, allTime] = await Promise.all([count(`${state} AND ${since}`), count(state)]);
      return { state: TaskState[s], today, allTime };
    }),
  );
}

export function TasksByStateCard() {
  const counts = useQuery({
    queryKey: ['overview', 'tasks-by-state'],
    refetchInterval: REFRESH_MS,
    queryFn: taskStateCounts,
  });
  return (
    <Card withBorder component="section" aria-label="Tasks by state">
      <Title order={2} size="h4" mb="xs">
        Tasks by state
      </Title>
      <QueryState query={counts} what="task counts" />
      {counts.data && (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>State</Table.Th>
              <Table.Th ta="right">Today</Table.Th>
              <Table.Th ta="right">All time</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {counts.data.map((r) => (
              <Table.Tr key={r.state}>
                <Table.Td>
                  <StateBadge state={r.state} />
                </Table.Td>
                <Table.Td ta="right" data-testid={`tasks-today-${r.state}`}>
                  {r.today}
                </Table.Td>
                <Table.Td ta="right">{r.allTime}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Text size="sm" mt="xs">
        Today: submitted since midnight in this browser&apos;s time zone.
      </Text>
    </Card>
  );
}
