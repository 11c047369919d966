import { useState } from 'react';
import { Alert, Button, Group, Modal, Select, Stack, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { v4 as uuid } from 'uuid';
import { agents, tasks } from '../api/transport';
import { allPages } from '../api/all-pages';
import { errorWords } from '../api/error-words';
import { TaskState, type Task } from '../gen/aos/v1/task_pb';
import { ConfirmButton } from '../components/ConfirmButton';
import { useSession } from '../session/session.context';

// As the routing decider allows: a person corrects the router before the run starts; cancelling ends any unfinished task.
const REASSIGNABLE = [TaskState.QUEUED, TaskState.ASSIGNED];
const CANCELLABLE = [TaskState.QUEUED, TaskState.ASSIGNED, TaskState.RUNNING, TaskState.WAITING_APPROVAL];

function ReassignDialog({ task, onClose }: { task: Task; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [agentId, setAgentId] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const active = useQuery({
    queryKey: ['agents', 'active-for-reassign'],
    queryFn: () =>
      allPages(async (pageToken) => {
        const page = await agents.listAgents({ filter: 'state = ACTIVE', pageSize: 1000, pageToken });
        return { items: page.agents, nextPageToken: page.nextPageToken };
      }),
  });
  const choices = (active.data ?? [])
    .filter((a) => a.id !== task.assignedAgentId)
    .map((a) => ({ value: a.id, label: a.name }));

  async function reassign() {
    if (!agentId) return setError('Pick the agent that should do it (agent_id).');
    setBusy(true);
    setError(null);
    try {
      const updated = await tasks.reassignTask({
        id: task.id,
        agentId,
        reason,
        expectedRevision: task.revision,
        requestId: uuid(),
      });
      queryClient.setQueryData(['task', task.id], updated);
      onClose();
    } catch (e) {
      setError(errorWords(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal opened onClose={onClose} title="Reassign this task" centered closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack>
        <Select
          label="Agent"
          placeholder={active.isPending ? 'Loading agents…' : 'Pick an active agent by name'}
          data={choices}
          value={agentId}
          onChange={setAgentId}
          searchable
          nothingFoundMessage="No other active agent"
        />
        <TextInput
          label="Why (optional)"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          maxLength={1000}
        />
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button loading={busy} onClick={reassign}>
            Reassign
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Reassign and Cancel, offered only in the states that allow them and to a caller whose roles grant them. */
export function TaskActions({ task }: { task: Task }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const [reassigning, setReassigning] = useState(false);
  const mayReassign = REASSIGNABLE.includes(task.state) && can('tasks.reassign') && can('agents.list');
  const mayCancel = CANCELLABLE.includes(task.state) && can('tasks.cancel');
  if (!mayReassign && !mayCancel) return null;

  async function cancel() {
    const updated = await tasks.cancelTask({
      id: task.id,
      reason: 'cancelled from the web console',
      expectedRevision: task.revision,
      requestId: uuid(),
    });
    queryClient.setQueryData(['task', task.id], updated);
  }

  return (
    <Group role="group" aria-label="Task actions">
      {mayReassign && (
        <Button variant="default" onClick={() => setReassigning(true)}>
          Reassign
        </Button>
      )}
      {mayCancel && (
        <ConfirmButton label="Cancel task" color="red" title="Cancel this task?" onConfirm={cancel}>
          The task stops and no agent works on it again. This cannot be undone.
        </ConfirmButton>
      )}
      {reassigning && <ReassignDialog task={task} onClose={() => setReassigning(false)} />}
    </Group>
  );
}
