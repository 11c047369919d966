import { useState } from 'react';
import { Alert, Anchor, Button, Card, Code, Group, Modal, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { v4 as uuid } from 'uuid';
import { agents, governance, tasks, tools } from '../api/transport';
import { allPages } from '../api/all-pages';
import { auditLink } from './audit-link';
import { errorWords } from '../api/error-words';
import { ApprovalState, type Approval } from '../gen/aos/v1/governance_pb';
import { PagerButtons, usePageTokens } from '../components/page-token-pager';
import { QueryState } from '../components/QueryState';
import { StateBadge } from '../components/StateBadge';
import { StateFilter } from '../components/StateFilter';
import { SubjectWithName } from '../components/NameWithId';
import { timeText } from '../components/time-text';
import { useSession } from '../session/session.context';

const PAGE_SIZE = 20;
const STATE_OPTIONS = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'WITHDRAWN'];
/** Governance keeps at most this much of an action's input (Approval.arguments_json). */
const MAX_ARGUMENTS_CHARS = 16384;

interface Decision {
  approvalId: string;
  approved: boolean;
  what: string;
  taskId: string | undefined;
}

function DecideDialog({
  approval,
  approve,
  who,
  what,
  argumentsLabel,
  onClose,
  onDecided,
}: {
  approval: Approval;
  approve: boolean;
  /** The asking agent as people know it (its name), else its subject. */
  who: string;
  /** What it wants to do, in words ("call the tool refunds"). */
  what: string;
  argumentsLabel: string;
  onClose: () => void;
  onDecided: () => void;
}) {
  const queryClient = useQueryClient();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const verb = approve ? 'Approve' : 'Reject';

  async function decide() {
    if (!reason.trim()) {
      setError('Say why (reason).');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await governance.decideApproval({ id: approval.id, approve, reason: reason.trim(), requestId: uuid() });
      onDecided();
      await queryClient.invalidateQueries({ queryKey: ['approvals'] });
      await queryClient.invalidateQueries({ queryKey: ['overview'] });
      onClose();
    } catch (e) {
      setError(errorWords(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      opened
      onClose={onClose}
      title={`${verb}: ${who} wants to ${what}`}
      centered
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <Stack>
        {/* What is decided on stays in sight: the dialog covers the card's own copy. */}
        <Stack gap={4}>
          <Text size="sm" fw={600}>
            With
          </Text>
          <ApprovalArguments approval={approval} label={argumentsLabel} />
        </Stack>
        <Textarea
          label="Reason"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          error={error}
          required
          data-autofocus
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button color={approve ? 'teal.9' : 'red.9'} loading={busy} onClick={decide}>
            {verb}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** `tools/<id>` names a registered tool: people know it by its name. */
function useToolName(resource: string, enabled: boolean): string | undefined {
  const toolId = resource.startsWith('tools/') ? resource.slice('tools/'.length) : '';
  const tool = useQuery({
    queryKey: ['tool', toolId],
    enabled: enabled && toolId !== '' && !toolId.startsWith('builtin:'),
    staleTime: 60_000,
    retry: false,
    queryFn: () => tools.getTool({ id: toolId }),
  });
  return tool.data?.name;
}

/** `agent:<id>` asks: people know the agent by its name. */
function useAgentName(subject: string, enabled: boolean): string | undefined {
  const agentId = subject.startsWith('agent:') ? subject.slice('agent:'.length) : '';
  const agent = useQuery({
    queryKey: ['agent', agentId],
    enabled: enabled && agentId !== '',
    staleTime: 60_000,
    retry: false,
    queryFn: () => agents.getAgent({ id: agentId }),
  });
  return agent.data?.name;
}

/** The action's input as the agent gave it: pretty-printed JSON, or the raw text when it was cut or is not JSON. */
function ApprovalArguments({ approval, label }: { approval: Approval; label: string }) {
  if (!approval.argumentsJson) return <>—</>;
  let text = approval.argumentsJson;
  if (!approval.argumentsTruncated) {
    try {
      text = JSON.stringify(JSON.parse(approval.argumentsJson), null, 2);
    } catch {
      // Not JSON: shown as the agent sent it.
    }
  }
  return (
    <Stack gap={4}>
      {/* Focusable: a long input scrolls inside its box, and the keyboard must reach it. */}
      <Code
        block
        tabIndex={0}
        aria-label={label}
        mah={320}
        style={{ overflow: 'auto', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
      >
        {text}
      </Code>
      {approval.argumentsTruncated && (
        <Text size="sm">Cut at {MAX_ARGUMENTS_CHARS} characters: the agent sent more.</Text>
      )}
    </Stack>
  );
}

function ApprovalCard({
  approval,
  taskId,
  canDecide,
  canReadTools,
  canReadAgents,
  onDecided,
}: {
  approval: Approval;
  taskId: string | undefined;
  canDecide: boolean;
  canReadTools: boolean;
  canReadAgents: boolean;
  onDecided: (d: Decision) => void;
}) {
  const [deciding, setDeciding] = useState<boolean | null>(null);
  const toolName = useToolName(approval.resource, canReadTools);
  const agentName = useAgentName(approval.subject, canReadAgents);
  const what = toolName ? `call the tool ${toolName}` : `${approval.action} on ${approval.resource}`;
  // Each arguments block says whose it is: several approvals (and the open dialog) show one.
  const argumentsLabel = `Arguments of ${toolName ?? approval.resource}`;
  const pending = approval.state === ApprovalState.PENDING;
  return (
    <Card withBorder component="article" aria-label={`Approval: ${what}`}>
      <Table variant="vertical">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={160}>Who asks</Table.Th>
            <Table.Td>{agentName ? `${agentName} (${approval.subject})` : approval.subject}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Wants to</Table.Th>
            <Table.Td>
              {what}
              {toolName && (
                <Text span size="sm">
                  {' '}
                  ({approval.action} on {approval.resource})
                </Text>
              )}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>With</Table.Th>
            <Table.Td>
              <ApprovalArguments approval={approval} label={argumentsLabel} />
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Why</Table.Th>
            <Table.Td style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{approval.reason || '—'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Task</Table.Th>
            <Table.Td>
              {taskId ? (
                <Anchor component={Link} to={`/tasks/${taskId}`}>
                  Open the waiting task
                </Anchor>
              ) : (
                approval.correlationId || '—'
              )}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Asked</Table.Th>
            <Table.Td>
              {timeText(approval.createTime)}
              {/* Only a waiting approval can still expire. */}
              {pending && `; expires ${timeText(approval.expireTime)}`}
            </Table.Td>
          </Table.Tr>
          {!pending && (
            <Table.Tr>
              <Table.Th>Outcome</Table.Th>
              <Table.Td style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                <StateBadge state={ApprovalState[approval.state]} /> {timeText(approval.decideTime)}
                {approval.decidedBy && (
                  <>
                    {' by '}
                    <SubjectWithName subject={approval.decidedBy} />
                  </>
                )}
                {approval.decisionReason && `: ${approval.decisionReason}`}
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      {canDecide && pending && (
        <Group mt="sm">
          <Button color="teal.9" onClick={() => setDeciding(true)}>
            Approve…
          </Button>
          <Button color="red" variant="outline" onClick={() => setDeciding(false)}>
            Reject…
          </Button>
        </Group>
      )}
      {deciding !== null && (
        <DecideDialog
          approval={approval}
          approve={deciding}
          who={agentName ?? approval.subject}
          what={what}
          argumentsLabel={argumentsLabel}
          onClose={() => setDeciding(null)}
          onDecided={() => onDecided({ approvalId: approval.id, approved: deciding, what, taskId })}
        />
      )}
    </Card>
  );
}

/** Which task waits on which approval: a task names its approval while WAITING_APPROVAL. */
async function waitingTasksByApproval(): Promise<Map<string, string>> {
  const waiting = await allPages(async (pageToken) => {
    const page = await tasks.listTasks({ filter: 'state = WAITING_APPROVAL', pageSize: 1000, pageToken });
    return { items: page.tasks, nextPageToken: page.nextPageToken };
  });
  return new Map(waiting.filter((t) => t.approvalId).map((t) => [t.approvalId, t.id]));
}

export function ApprovalsPage() {
  const { can } = useSession();
  const pager = usePageTokens();
  // The inbox: what waits. Decided, expired and withdrawn ones (the run that asked ended first) on request.
  const [state, setState] = useState<string | null>('PENDING');
  const [decided, setDecided] = useState<Decision | null>(null);
  const waitingTasks = useQuery({
    queryKey: ['approvals', 'waiting-tasks'],
    enabled: can('tasks.list'),
    refetchInterval: 5000,
    queryFn: waitingTasksByApproval,
  });
  const list = useQuery({
    queryKey: ['approvals', state, pager.token],
    placeholderData: keepPreviousData,
    refetchInterval: 5000,
    queryFn: () =>
      governance.listApprovals({
        state: state ? ApprovalState[state as keyof typeof ApprovalState] : ApprovalState.APPROVAL_STATE_UNSPECIFIED,
        pageSize: PAGE_SIZE,
        pageToken: pager.token,
      }),
  });

  return (
    <Stack>
      <Title order={1}>{state === 'PENDING' ? 'Approvals waiting' : 'Approvals'}</Title>
      <Text size="sm">Actions an agent may take only once a person agrees.</Text>
      <StateFilter states={STATE_OPTIONS} value={state} onChange={setState} pager={pager} />
      {decided && (
        <Alert
          color={decided.approved ? 'green' : 'gray'}
          title={decided.approved ? 'Approved' : 'Rejected'}
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => setDecided(null)}
        >
          {decided.approved ? 'The agent may now ' : 'The agent may not '}
          {decided.what}.{' '}
          {decided.taskId && (
            // The primary blue is below 4.5:1 on the alert's tint.
            <Anchor component={Link} to={`/tasks/${decided.taskId}`} c="blue.9">
              Follow the task
            </Anchor>
          )}{' '}
          <Anchor
            component={Link}
            to={auditLink({
              type: decided.approved ? 'ApprovalGranted' : 'ApprovalRejected',
              stream: `approval-${decided.approvalId}`,
            })}
            c="blue.9"
          >
            See the decision in the audit
          </Anchor>
        </Alert>
      )}
      <QueryState query={list} what="approvals" />
      {list.data && list.data.approvals.length === 0 && (
        <Alert>{state === 'PENDING' ? 'Nothing is waiting for approval.' : 'No approval in this state.'}</Alert>
      )}
      {list.data?.approvals.map((a) => (
        <ApprovalCard
          key={a.id}
          approval={a}
          taskId={waitingTasks.data?.get(a.id)}
          canDecide={can('approvals.decide')}
          canReadTools={can('tools.get')}
          canReadAgents={can('agents.get')}
          onDecided={setDecided}
        />
      ))}
      {list.data && <PagerButtons pager={pager} nextPageToken={list.data.nextPageToken} label="Approvals" />}
    </Stack>
  );
}
