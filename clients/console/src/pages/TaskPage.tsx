import { Alert, Anchor, Card, Group, List, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { tasks } from '../api/transport';
import { errorWords } from '../api/error-words';
import { Fragment, type ReactNode } from 'react';
import { taskStepRefs, type NamedKind } from '@aos/domain';
import { TaskState, type RoutingDecision, type TaskStep } from '../gen/aos/v1/task_pb';
import { NameWithId } from '../components/NameWithId';
import { LoadingIndicator } from '../components/LoadingIndicator';
import { QueryState } from '../components/QueryState';
import { StateBadge } from '../components/StateBadge';
import { timeText } from '../components/time-text';
import { stepKey, useLiveTaskSteps } from './live-task-steps';
import { TaskActions } from './TaskActions';

/**
 * The step's summary with a name beside each id its recorded data names (who
 * submitted it, the agent it went to, …): the ids come from the step's data,
 * not from guessing at its text, and each is found in the summary to be shown
 * where the summary prints it.
 */
function StepSummary({ step }: { step: TaskStep }) {
  const kindOf = new Map<string, NamedKind>(taskStepRefs(step).map(([kind, id]) => [id, kind]));
  if (kindOf.size === 0) return <>{step.summary}</>;
  const escaped = [...kindOf.keys()].map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const parts: ReactNode[] = step.summary.split(new RegExp(`(${escaped.join('|')})`)).map((part, i) => {
    const kind = kindOf.get(part);
    return kind ? <NameWithId key={i} kind={kind} id={part} /> : <Fragment key={i}>{part}</Fragment>;
  });
  return <>{parts}</>;
}

function RoutingExplanation({ routing }: { routing: RoutingDecision }) {
  return (
    <Card withBorder component="section" aria-label="Why this agent">
      <Title order={2} size="h4">
        Why this agent
      </Title>
      <Text size="sm" my="xs">
        {routing.rationale || 'The router gave no rationale.'} <em>(router: {routing.router || 'unknown'})</em>
      </Text>
      {routing.candidates.length > 0 && (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Candidate</Table.Th>
              <Table.Th ta="right">Score</Table.Th>
              <Table.Th ta="right">Queue</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {routing.candidates.map((c) => (
              <Table.Tr key={c.agentId}>
                <Table.Td>
                  <Anchor component={Link} to={`/agents/${c.agentId}`}>
                    {c.agentName || c.agentId}
                  </Anchor>
                  {c.agentId === routing.chosenAgentId ? ' (chosen)' : ''}
                </Table.Td>
                <Table.Td ta="right">{c.score.toFixed(3)}</Table.Td>
                <Table.Td ta="right">{c.queueLength}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

export function TaskPage() {
  const { id = '' } = useParams();
  const queryClient = useQueryClient();
  const task = useQuery({ queryKey: ['task', id], queryFn: () => tasks.getTask({ id }) });
  const steps = useLiveTaskSteps(id, () => void queryClient.invalidateQueries({ queryKey: ['task', id] }));
  const t = task.data;

  return (
    <Stack>
      <Anchor component={Link} to="/tasks" size="sm">
        ← All tasks
      </Anchor>
      <QueryState query={task} what="the task" />
      {t && (
        <>
          <Group>
            <Title order={1} size="h2">
              Task
            </Title>
            <StateBadge state={TaskState[t.state]} />
          </Group>
          <TaskActions task={t} />
          <Text style={{ whiteSpace: 'pre-wrap' }}>{t.text}</Text>
          {t.result && (
            <Alert color="green" title="Result">
              <Text style={{ whiteSpace: 'pre-wrap' }}>{t.result}</Text>
            </Alert>
          )}
          {t.state === TaskState.FAILED && (
            <Alert color="red" title="Failed">
              {t.failureReason || 'No reason recorded'} {t.failureCode && `(${t.failureCode})`}
            </Alert>
          )}
          {t.routing && <RoutingExplanation routing={t.routing} />}
        </>
      )}
      <Card withBorder component="section" aria-label="Steps">
        <Group>
          <Title order={2} size="h4">
            Steps
          </Title>
          {steps.live && <LoadingIndicator label="Following the task live" />}
        </Group>
        {steps.error !== null && (
          <Alert color="red" role="alert">
            {errorWords(steps.error)}
          </Alert>
        )}
        <List type="ordered" mt="xs" aria-live="polite" data-testid="task-steps">
          {steps.steps.map((s) => (
            <List.Item key={stepKey(s)}>
              <Text size="sm">
                <strong>{s.type}</strong> · {timeText(s.time)} — <StepSummary step={s} />
              </Text>
            </List.Item>
          ))}
        </List>
      </Card>
    </Stack>
  );
}
