import { useState, type ReactNode } from 'react';
import { Alert, Anchor, Button, Card, Code, CopyButton, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Code as Status } from '@connectrpc/connect';
import { Link } from 'react-router';
import { audit } from '../../api/transport';
import { isStatus } from '../../api/error-words';
import { ExportFormat, VerifyProblem, type LogCheckpoint, type VerifyLogResponse } from '../../gen/aos/v1/audit_pb';
import { useSession } from '../../session/session.context';
import { QueryState } from '../../components/QueryState';
import { MutationError } from '../../components/MutationError';
import { useMutationForm } from '../../components/use-mutation-form';
import { timeText } from '../../components/time-text';
import { auditAtLink } from './audit-at';
import { countText, hex, saveFile, sealText, verifyVerdict } from './integrity-words';

const CHECKPOINT_KEY = ['audit', 'checkpoint'];

/** The newest seal, or null before the first. */
async function newestCheckpoint(): Promise<LogCheckpoint | null> {
  try {
    return await audit.getCheckpoint({});
  } catch (error) {
    if (isStatus(error, Status.NotFound)) return null;
    throw error;
  }
}

/** The bundle, every chunk in order, as the file the auditor checks. */
async function downloadBundle(): Promise<void> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for await (const chunk of audit.exportEvents({ format: ExportFormat.BUNDLE })) {
    if (chunk.data.length > 0) parts.push(new Uint8Array(chunk.data));
  }
  const day = new Date().toISOString().slice(0, 10);
  saveFile(parts, `audit-trail-${day}.bundle.jsonl`, 'application/x-ndjson');
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th w={220} fw={500}>
        {label}
      </Table.Th>
      <Table.Td style={{ wordBreak: 'break-all' }}>{children}</Table.Td>
    </Table.Tr>
  );
}

function VerifyResult({ result }: { result: VerifyLogResponse }) {
  const verdict = verifyVerdict(result);
  return (
    <Alert
      color={verdict.ok ? 'green' : 'red'}
      c={verdict.ok ? 'green.9' : 'red.9'}
      title={verdict.title}
      role="status"
      data-testid="verify-result"
    >
      <Text size="sm">{verdict.detail}</Text>
      {verdict.badPosition !== undefined && (
        <Anchor component={Link} to={auditAtLink(verdict.badPosition)} size="sm">
          Show the events from #{countText(verdict.badPosition)} on
        </Anchor>
      )}
    </Alert>
  );
}

/**
 * The audit trail's integrity in plain words: the newest seal (signed checkpoint), a check of the whole
 * trail against its seals (VerifyLog), a seal made now, and the file and public key an auditor checks
 * offline. What needs audit.replay is offered disabled, with the reason, to those without it.
 */
export function IntegrityPanel() {
  const { can } = useSession();
  const mayCheck = can('audit.replay');
  const queryClient = useQueryClient();
  const checkpoint = useQuery({ queryKey: CHECKPOINT_KEY, queryFn: newestCheckpoint });
  const logKey = useQuery({ queryKey: ['audit', 'log-key'], queryFn: () => audit.getLogKey({}), staleTime: Infinity });
  const [verified, setVerified] = useState<VerifyLogResponse | null>(null);
  // One action at a time: the one running shows it, the others wait.
  const action = useMutationForm();
  const [running, setRunning] = useState<string | null>(null);
  const seen = checkpoint.data;

  const actions = [
    {
      label: 'Verify now',
      variant: 'filled',
      change: async () => {
        setVerified(null);
        setVerified(await audit.verifyLog({}));
      },
    },
    {
      label: 'Seal now',
      variant: 'default',
      change: async () => queryClient.setQueryData(CHECKPOINT_KEY, await audit.createCheckpoint({})),
    },
    {
      label: 'Download for offline check',
      variant: 'default',
      // The export signs a seal first when events came after the newest.
      change: () => downloadBundle().finally(() => queryClient.invalidateQueries({ queryKey: CHECKPOINT_KEY })),
    },
  ];

  return (
    <Card withBorder component="section" aria-label="Integrity">
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" gap="sm">
          <Stack gap={2}>
            <Title order={2} size="h4">
              Integrity
            </Title>
            {seen !== undefined && (
              <Text fw={600} data-testid="seal-status">
                {sealText(seen)}
              </Text>
            )}
          </Stack>
          <Group gap="sm">
            {actions.map(({ label, variant, change }) => (
              <Button
                key={label}
                variant={variant}
                disabled={!mayCheck || (action.busy && running !== label)}
                loading={action.busy && running === label}
                onClick={() => {
                  setRunning(label);
                  void action.run(change);
                }}
              >
                {label}
              </Button>
            ))}
          </Group>
        </Group>
        <QueryState query={checkpoint} what="the newest seal" />
        <Text size="sm" c="dimmed">
          A seal is a signed fingerprint of every event up to that moment, made automatically at regular intervals or
          with Seal now. Verify now checks the whole trail against its seals: any sealed event changed, removed or
          slipped in afterwards shows up.
        </Text>
        {!mayCheck && (
          <Text size="sm" data-testid="integrity-needs-permission">
            Verifying, sealing and downloading need the permission to replay the audit trail (audit.replay, held by the
            auditor and tenant-admin roles). Ask an administrator if you need them.
          </Text>
        )}
        <MutationError error={action.error} />
        {verified && <VerifyResult result={verified} />}

        <QueryState query={logKey} what="the log's public key" />
        {logKey.data && (
          <Stack gap={4}>
            <Text size="sm" fw={600}>
              Public key for auditors
            </Text>
            <Group gap="xs" wrap="nowrap" align="center">
              <Code data-testid="verifier-key" style={{ wordBreak: 'break-all' }}>
                {logKey.data.verifierKey}
              </Code>
              <CopyButton value={logKey.data.verifierKey}>
                {({ copied, copy }) => (
                  <Button size="compact-sm" variant="default" onClick={copy}>
                    {copied ? 'Copied' : 'Copy key'}
                  </Button>
                )}
              </CopyButton>
            </Group>
            <Text size="sm" c="dimmed">
              An auditor checks the downloaded file on their own computer with{' '}
              <Code>aos audit verify &lt;file&gt; --key &lt;this key&gt;</Code> (or the standalone aos-audit-verify).
              Send the key separately from the file: a key taken from the file itself proves nothing.
            </Text>
          </Stack>
        )}

        <details>
          <summary>
            <Text span size="sm">
              Technical details
            </Text>
          </summary>
          <Table mt="xs" fz="sm" aria-label="Technical details of the seal and the check">
            <Table.Tbody>
              {logKey.data && <Row label="Origin">{logKey.data.origin}</Row>}
              {seen && (
                <>
                  <Row label="Tree size (events sealed)">{countText(seen.treeSize)}</Row>
                  <Row label="Root (SHA-256)">
                    <Code>{hex(seen.rootHash)}</Code>
                  </Row>
                  <Row label="Last sealed event">#{String(seen.lastPosition)}</Row>
                  <Row label="Seal recorded as event">#{String(seen.position)}</Row>
                  <Row label="Signed at">{timeText(seen.time)}</Row>
                  <Row label="Signed note">
                    <Code block>{seen.note}</Code>
                  </Row>
                </>
              )}
              {verified && (
                <>
                  <Row label="Last check: verified tree size">{countText(verified.verifiedTreeSize)}</Row>
                  <Row label="Last check: proven up to event">#{String(verified.verifiedPosition)}</Row>
                  {!verified.ok && <Row label="Last check: problem">{VerifyProblem[verified.problem]}</Row>}
                </>
              )}
              {logKey.data && (
                <Row label="Public key (PEM)">
                  <Code block>{logKey.data.publicKeyPem}</Code>
                </Row>
              )}
            </Table.Tbody>
          </Table>
        </details>
      </Stack>
    </Card>
  );
}
