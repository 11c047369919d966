import { Select } from '@mantine/core';
import { useAllPrincipals } from './principals.query';

/** A person or service account picked by name; the value is its id or its subject ("user:<id>"), as the call needs. */
export function PrincipalSelect({
  label,
  valueIs,
  value,
  onChange,
}: {
  label: string;
  valueIs: 'id' | 'subject';
  value: string | null;
  onChange: (value: string | null) => void;
}) {
  const principals = useAllPrincipals();
  return (
    <Select
      label={label}
      placeholder="Pick by name"
      data={(principals.data ?? []).map((p) => ({ value: p[valueIs], label: p.name }))}
      value={value}
      onChange={onChange}
      searchable
      w={260}
    />
  );
}
