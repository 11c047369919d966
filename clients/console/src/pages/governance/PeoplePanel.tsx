import { useState, type FormEvent } from 'react';
import { Button, Group, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { v4 as uuid } from 'uuid';
import { governance } from '../../api/transport';
import { PagerButtons, usePageTokens } from '../../components/page-token-pager';
import { QueryState } from '../../components/QueryState';
import { timeText } from '../../components/time-text';
import { PrincipalKind } from '../../gen/aos/v1/governance_pb';
import { useSession } from '../../session/session.context';
import { MutationError } from '../../components/MutationError';
import { useMutationForm } from '../../components/use-mutation-form';

const PAGE_SIZE = 25;

function CreatePrincipalForm() {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'USER' | 'SERVICE'>('USER');
  const form = useMutationForm();

  async function create(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      form.setError('Give a name (principal.name).');
      return;
    }
    const created = await form.run(() =>
      governance.createPrincipal({ principal: { name: name.trim(), kind: PrincipalKind[kind] }, requestId: uuid() }),
    );
    if (created) {
      setName('');
      await queryClient.invalidateQueries({ queryKey: ['principals'] });
    }
  }

  return (
    <form onSubmit={create} noValidate aria-label="Add a person or service account">
      <Group align="flex-end">
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={100} w={260} />
        <Stack gap={4}>
          <Text size="sm" fw={500} id="principal-kind-label">
            Kind
          </Text>
          <SegmentedControl
            aria-labelledby="principal-kind-label"
            value={kind}
            onChange={(v) => setKind(v as 'USER' | 'SERVICE')}
            data={[
              { value: 'USER', label: 'Person' },
              { value: 'SERVICE', label: 'Service account' },
            ]}
          />
        </Stack>
        <Button type="submit" loading={form.busy}>
          Add
        </Button>
      </Group>
      <MutationError error={form.error} />
    </form>
  );
}

/** The tenant's people and service accounts. */
export function PeoplePanel() {
  const { can } = useSession();
  const pager = usePageTokens();
  const principals = useQuery({
    queryKey: ['principals', 'page', pager.token],
    placeholderData: keepPreviousData,
    queryFn: () => governance.listPrincipals({ pageSize: PAGE_SIZE, pageToken: pager.token }),
  });
  return (
    <Stack>
      <Title order={2} size="h3">
        People and service accounts
      </Title>
      {can('principals.create') && <CreatePrincipalForm />}
      <QueryState query={principals} what="people and service accounts" />
      {principals.data && (
        <>
          <Table.ScrollContainer minWidth={0} type="native">
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Subject</Table.Th>
                  <Table.Th>Added</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {principals.data.principals.map((p) => (
                  <Table.Tr key={p.id}>
                    <Table.Td>{p.name}</Table.Td>
                    <Table.Td>{p.kind === PrincipalKind.SERVICE ? 'Service account' : 'Person'}</Table.Td>
                    <Table.Td>{p.subject}</Table.Td>
                    <Table.Td>{timeText(p.createTime)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <PagerButtons pager={pager} nextPageToken={principals.data.nextPageToken} label="People" />
        </>
      )}
    </Stack>
  );
}
