import { useState } from 'react';
import { Select, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { v4 as uuid } from 'uuid';
import { governance } from '../../api/transport';
import { InlineMutationForm } from '../../components/InlineMutationForm';
import { RowRemoveButton } from '../../components/RowRemoveButton';
import { QueryState } from '../../components/QueryState';
import { timeText } from '../../components/time-text';
import { useSession } from '../../session/session.context';
import { PrincipalSelect } from './PrincipalSelect';
import { useSubjectName } from './principals.query';
import { useMutationForm } from '../../components/use-mutation-form';

function AssignRoleForm({ roleNames }: { roleNames: string[] }) {
  const queryClient = useQueryClient();
  const [subject, setSubject] = useState<string | null>(null);
  const [role, setRole] = useState<string | null>(null);
  const form = useMutationForm();

  async function assign() {
    if (!subject || !role) {
      form.setError(!subject ? 'Pick who gets the role (subject).' : 'Pick a role (role).');
      return;
    }
    const assigned = await form.run(() => governance.assignRole({ subject, role, requestId: uuid() }));
    if (assigned) await queryClient.invalidateQueries({ queryKey: ['roleBindings'] });
  }

  return (
    <InlineMutationForm label="Assign a role" submitLabel="Assign role" form={form} onSubmit={assign}>
      <PrincipalSelect label="Person or service account" valueIs="subject" value={subject} onChange={setSubject} />
      <Select label="Role" data={roleNames} value={role} onChange={setRole} w={200} />
    </InlineMutationForm>
  );
}

/** The roles (built-in and custom) and who holds which. */
export function RolesPanel() {
  const { can } = useSession();
  const subjectName = useSubjectName();
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => governance.listRoles({}) });
  const bindings = useQuery({ queryKey: ['roleBindings'], queryFn: () => governance.listRoleBindings({}) });
  const mayAssign = can('roles.assign') && can('principals.list');

  return (
    <Stack>
      <Title order={2} size="h3">
        Role bindings
      </Title>
      {mayAssign && roles.data && <AssignRoleForm roleNames={roles.data.roles.map((r) => r.name)} />}
      <QueryState query={bindings} what="role bindings" />
      {bindings.data && (
        <Table.ScrollContainer minWidth={0} type="native">
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Who</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Since</Table.Th>
                {can('roles.revoke') && <Table.Th>Actions</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {bindings.data.bindings.map((b) => (
                <Table.Tr key={b.id}>
                  <Table.Td>{subjectName(b.subject)}</Table.Td>
                  <Table.Td>{b.role}</Table.Td>
                  <Table.Td>{timeText(b.createTime)}</Table.Td>
                  {can('roles.revoke') && (
                    <Table.Td>
                      <RowRemoveButton
                        label="Revoke"
                        title={`Revoke ${b.role} from ${subjectName(b.subject)}?`}
                        send={() => governance.revokeRole({ subject: b.subject, role: b.role, requestId: uuid() })}
                        refresh={[['roleBindings']]}
                      >
                        They lose the role&apos;s permissions at once.
                      </RowRemoveButton>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Title order={2} size="h3">
        Roles
      </Title>
      <QueryState query={roles} what="roles" />
      {roles.data && (
        <Table.ScrollContainer minWidth={0} type="native">
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Role</Table.Th>
                <Table.Th>What it is for</Table.Th>
                <Table.Th>Permissions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {roles.data.roles.map((r) => (
                <Table.Tr key={r.name}>
                  <Table.Td>
                    {r.name}
                    {r.builtIn && (
                      <Text size="xs" c="gray.7">
                        built in
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{r.description}</Table.Td>
                  <Table.Td>{r.permissions.join(', ')}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
