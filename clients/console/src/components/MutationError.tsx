import { Alert } from '@mantine/core';

/** A refused change, in words, below the form that asked for it. */
export function MutationError({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <Alert color="red" role="alert" mt="sm">
      {error}
    </Alert>
  );
}
