import { useState } from 'react';
import { Alert, Button, Code, CopyButton, Group, Stack, Table, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { v4 as uuid } from 'uuid';
import { governance } from '../../api/transport';
import { InlineMutationForm } from '../../components/InlineMutationForm';
import { RowRemoveButton } from '../../components/RowRemoveButton';
import { QueryState } from '../../components/QueryState';
import { StateBadge } from '../../components/StateBadge';
import { timeText } from '../../components/time-text';
import { ApiKeyState } from '../../gen/aos/v1/governance_pb';
import { useSession } from '../../session/session.context';
import { PrincipalSelect } from './PrincipalSelect';
import { useAllPrincipals } from './principals.query';
import { useMutationForm } from '../../components/use-mutation-form';

/** The new key's secret: in this component's state only, so it is gone on reload or when dismissed. */
function NewSecret({ secret, onDismiss }: { secret: string; onDismiss: () => void }) {
  return (
    <Alert color="yellow" c="gray.9" title="Copy the new key now: you will not see it again" role="status">
      <Stack gap="xs">
        <Code block data-testid="new-api-key-secret">
          {secret}
        </Code>
        <Group>
          <CopyButton value={secret}>
            {({ copied, copy }) => (
              <Button size="xs" onClick={copy}>
                {copied ? 'Copied' : 'Copy key'}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="default" onClick={onDismiss}>
            I have stored it
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

function CreateApiKeyForm({ onSecret }: { onSecret: (secret: string) => void }) {
  const queryClient = useQueryClient();
  const [principalId, setPrincipalId] = useState<string | null>(null);
  const [description, setDescription] = useState('');
  const form = useMutationForm();

  async function create() {
    if (!principalId) {
      form.setError('Pick whose key it is (principal_id).');
      return;
    }
    await form.run(async () => {
      const { secret } = await governance.createApiKey({ principalId, description, requestId: uuid() });
      onSecret(secret);
      setDescription('');
      await queryClient.invalidateQueries({ queryKey: ['apiKeys'] });
    });
  }

  return (
    <InlineMutationForm label="Create an API key" submitLabel="Create key" form={form} onSubmit={create}>
      <PrincipalSelect label="For" valueIs="id" value={principalId} onChange={setPrincipalId} />
      <TextInput
        label="Description"
        value={description}
        onChange={(e) => setDescription(e.currentTarget.value)}
        w={260}
      />
    </InlineMutationForm>
  );
}

/** The tenant's API keys: create one (its secret shown once), revoke one after a confirmation. */
export function ApiKeysPanel() {
  const { can } = useSession();
  const [secret, setSecret] = useState<string | null>(null);
  const principals = useAllPrincipals();
  const names = new Map((principals.data ?? []).map((p) => [p.id, p.name]));
  const keys = useQuery({ queryKey: ['apiKeys'], queryFn: () => governance.listApiKeys({}) });

  return (
    <Stack>
      <Title order={2} size="h3">
        API keys
      </Title>
      {can('keys.create') && principals.data && <CreateApiKeyForm onSecret={setSecret} />}
      {secret && <NewSecret secret={secret} onDismiss={() => setSecret(null)} />}
      <QueryState query={keys} what="API keys" />
      {keys.data && (
        <Table.ScrollContainer minWidth={0} type="native">
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Key</Table.Th>
                <Table.Th>For</Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Created</Table.Th>
                {can('keys.revoke') && <Table.Th>Actions</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.data.apiKeys.map((k) => (
                <Table.Tr key={k.id}>
                  <Table.Td>aos_{k.prefix}_…</Table.Td>
                  <Table.Td>{names.get(k.principalId) ?? k.principalId}</Table.Td>
                  <Table.Td>{k.description}</Table.Td>
                  <Table.Td>
                    <StateBadge state={ApiKeyState[k.state].replace(/^API_KEY_/, '')} />
                  </Table.Td>
                  <Table.Td>{timeText(k.createTime)}</Table.Td>
                  {can('keys.revoke') && (
                    <Table.Td>
                      {k.state === ApiKeyState.API_KEY_ACTIVE && (
                        <RowRemoveButton
                          label="Revoke"
                          title={`Revoke key aos_${k.prefix}_…?`}
                          send={() => governance.revokeApiKey({ id: k.id, requestId: uuid() })}
                          refresh={[['apiKeys']]}
                        >
                          Every call made with this key is refused from now on. This cannot be undone.
                        </RowRemoveButton>
                      )}
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
