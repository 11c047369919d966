import { useState } from 'react';
import { Alert, Button, Card, Group, Modal, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { v4 as uuid } from 'uuid';
import { governance } from '../api/transport';
import { errorWords } from '../api/error-words';
import { ApprovalState, type Approval } from '../gen/aos/v1/governance_pb';
import { PagerButtons, usePageTokens } from '../components/page-token-pager';
import { QueryState } from '../components/QueryState';
import { timeText } from '../components/time-text';
import { useSession } from '../session/session.context';

const PAGE_SIZE = 20;

function DecideDialog({ approval, approve, onClose }: { approval: Approval; approve: boolean; onClose: () => void }) {
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
      title={`${verb}: ${approval.action} on ${approval.resource}`}
      centered
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <Stack>
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
          <Button color={approve ? 'green' : 'red'} loading={busy} onClick={decide}>
            {verb}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function ApprovalCard({ approval, canDecide }: { approval: Approval; canDecide: boolean }) {
  const [deciding, setDeciding] = useState<boolean | null>(null);
  return (
    <Card withBorder component="article" aria-label={`Approval for ${approval.action}`}>
      <Table variant="vertical">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={160}>Who asks</Table.Th>
            <Table.Td>{approval.subject}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Wants to</Table.Th>
            <Table.Td>
              {approval.action} on {approval.resource}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Why</Table.Th>
            <Table.Td style={{ whiteSpace: 'pre-wrap' }}>{approval.reason || '—'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Part of</Table.Th>
            <Table.Td>{approval.correlationId || '—'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Asked</Table.Th>
            <Table.Td>
              {timeText(approval.createTime)}; expires {timeText(approval.expireTime)}
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {canDecide && (
        <Group mt="sm">
          <Button color="green" onClick={() => setDeciding(true)}>
            Approve…
          </Button>
          <Button color="red" variant="outline" onClick={() => setDeciding(false)}>
            Reject…
          </Button>
        </Group>
      )}
      {deciding !== null && <DecideDialog approval={approval} approve={deciding} onClose={() => setDeciding(null)} />}
    </Card>
  );
}

export function ApprovalsPage() {
  const { can } = useSession();
  const pager = usePageTokens();
  const list = useQuery({
    queryKey: ['approvals', 'pending', pager.token],
    placeholderData: keepPreviousData,
    refetchInterval: 5000,
    queryFn: () =>
      governance.listApprovals({ state: ApprovalState.PENDING, pageSize: PAGE_SIZE, pageToken: pager.token }),
  });

  return (
    <Stack>
      <Title order={1}>Approvals waiting</Title>
      <Text size="sm">Actions an agent may take only once a person agrees.</Text>
      <QueryState query={list} what="approvals" />
      {list.data && list.data.approvals.length === 0 && <Alert>Nothing is waiting for approval.</Alert>}
      {list.data?.approvals.map((a) => (
        <ApprovalCard key={a.id} approval={a} canDecide={can('approvals.decide')} />
      ))}
      {list.data && <PagerButtons pager={pager} nextPageToken={list.data.nextPageToken} label="Approvals" />}
    </Stack>
  );
}
