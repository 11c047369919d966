import { useState, type FormEvent } from 'react';
import { Alert, Anchor, Button, Card, Stack, Table, Textarea, Title } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { v4 as uuid } from 'uuid';
import { tasks } from '../api/transport';
import { errorWords } from '../api/error-words';
import { TaskState } from '../gen/aos/v1/task_pb';
import { PagerButtons, usePageTokens } from '../components/page-token-pager';
import { StateFilter } from '../components/StateFilter';
import { QueryState } from '../components/QueryState';
import { StateBadge } from '../components/StateBadge';
import { timeText } from '../components/time-text';
import { useSession } from '../session/session.context';

const PAGE_SIZE = 25;
const STATE_OPTIONS = ['QUEUED', 'ASSIGNED', 'RUNNING', 'WAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

function SubmitTaskForm() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) {
      setError('Say what should be done (task.text).');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const task = await tasks.submitTask({ requestId: uuid(), task: { text: text.trim() } });
      await queryClient.invalidateQueries({ queryKey: ['tasks'] });
      navigate(`/tasks/${task.id}`);
    } catch (e) {
      setError(errorWords(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card withBorder component="form" onSubmit={submit} noValidate aria-label="Submit a task">
      <Stack>
        <Textarea
          label="What should be done?"
          description="In plain language; AgentOS picks the agent and explains why"
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          error={error}
          autosize
          minRows={2}
          required
        />
        <Button type="submit" loading={busy} w="fit-content">
          Submit task
        </Button>
      </Stack>
    </Card>
  );
}

export function TasksPage() {
  const { can } = useSession();
  const [state, setState] = useState<string | null>(null);
  const pager = usePageTokens();
  const filter = state ? `state = ${state}` : '';
  const list = useQuery({
    queryKey: ['tasks', filter, pager.token],
    placeholderData: keepPreviousData,
    refetchInterval: 5000,
    queryFn: () => tasks.listTasks({ filter, pageSize: PAGE_SIZE, pageToken: pager.token }),
  });

  return (
    <Stack>
      <Title order={1}>Tasks</Title>
      {can('tasks.submit') && <SubmitTaskForm />}
      <StateFilter states={STATE_OPTIONS} value={state} onChange={setState} pager={pager} />
      <QueryState query={list} what="tasks" />
      {list.data && list.data.tasks.length === 0 && <Alert>No task {state ? `is ${state}` : 'yet'}.</Alert>}
      {list.data && list.data.tasks.length > 0 && (
        <>
          <Table.ScrollContainer minWidth={0} type="native">
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Task</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Agent</Table.Th>
                  <Table.Th>Submitted</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.tasks.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/tasks/${t.id}`}>
                        {t.text.length > 90 ? `${t.text.slice(0, 90)}…` : t.text}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <StateBadge state={TaskState[t.state]} />
                    </Table.Td>
                    <Table.Td>
                      {t.routing?.candidates.find((c) => c.agentId === t.assignedAgentId)?.agentName ||
                        t.assignedAgentId ||
                        '—'}
                    </Table.Td>
                    <Table.Td>{timeText(t.createTime)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <PagerButtons pager={pager} nextPageToken={list.data.nextPageToken} label="Task list" />
        </>
      )}
    </Stack>
  );
}
