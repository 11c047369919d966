import type { ReactNode } from 'react';
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { ConfirmButton } from './ConfirmButton';

/**
 * A table row's revoke or remove, sent only after a confirmation, then the
 * lists it changed (`refresh`) read again.
 */
export function RowRemoveButton({
  label,
  title,
  send,
  refresh,
  children,
}: {
  label: string;
  title: string;
  send: () => Promise<unknown>;
  refresh: QueryKey[];
  children: ReactNode;
}) {
  const queryClient = useQueryClient();
  return (
    <ConfirmButton
      label={label}
      title={title}
      color="red.9"
      variant="outline"
      size="xs"
      onConfirm={async () => {
        await send();
        await Promise.all(refresh.map((queryKey) => queryClient.invalidateQueries({ queryKey })));
      }}
    >
      {children}
    </ConfirmButton>
  );
}
