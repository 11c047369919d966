import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Card, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { tasks } from '../api/transport';
import { allPages } from '../api/all-pages';
import { QueryState } from '../components/QueryState';
import { THROUGHPUT_HOURS, throughputByHour, type FinishedTask } from './overview-throughput';

const FINISHED_STATES: FinishedTask['state'][] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
const REFRESH_MS = 15_000;

/** ListTasks filters by state only, so every finished task is read and the last 12 hours are picked here. */
async function finishedTasks(): Promise<FinishedTask[]> {
  const perState = await Promise.all(
    FINISHED_STATES.map((state) =>
      allPages(async (pageToken) => {
        const page = await tasks.listTasks({ filter: `state = ${state}`, pageSize: 1000, pageToken });
        return {
          items: page.tasks.map((t) => ({ state, updateTime: t.updateTime })),
          nextPageToken: page.nextPageToken,
        };
      }),
    ),
  );
  return perState.flat();
}

export function ThroughputCard() {
  const finished = useQuery({
    queryKey: ['overview', 'throughput'],
    refetchInterval: REFRESH_MS,
    queryFn: finishedTasks,
  });
  const hours = finished.data ? throughputByHour(finished.data, new Date()) : [];
  const total = hours.reduce((sum, h) => sum + h.SUCCEEDED + h.FAILED + h.CANCELLED, 0);
  return (
    <Card withBorder component="section" aria-label="Tasks finished per hour">
      <Title order={2} size="h4" mb="xs">
        Tasks finished per hour, last {THROUGHPUT_HOURS} hours
      </Title>
      <QueryState query={finished} what="finished tasks" />
      {finished.data && (
        <>
          <Text size="sm" data-testid="throughput-total">
            {total === 1 ? '1 task' : `${total} tasks`} finished in the last {THROUGHPUT_HOURS} hours
          </Text>
          <BarChart
            h={200}
            data={hours}
            dataKey="hour"
            type="stacked"
            yAxisProps={{ allowDecimals: false }}
            withLegend
            series={[
              { name: 'SUCCEEDED', label: 'Succeeded', color: 'teal.7' },
              { name: 'FAILED', label: 'Failed', color: 'red.7' },
              { name: 'CANCELLED', label: 'Cancelled', color: 'gray.6' },
            ]}
          />
          <Text size="xs" component="p">
            Computed in this browser from ListTasks: every SUCCEEDED, FAILED and CANCELLED task, counted in the hour of
            its last update (the moment it finished), in this browser&apos;s time zone.
          </Text>
        </>
      )}
    </Card>
  );
}
