import { nameBesideId, subjectRef, type NamedKind } from '@aos/domain';
import { useName } from '../api/names';

/** `billing-helper (09d75c1d…)` for an id whose name can be read, else the id as it is; the full id on hover. */
export function NameWithId({ kind, id }: { kind: NamedKind; id: string }) {
  const name = useName(kind, id);
  return <span title={name ? id : undefined}>{nameBesideId(name, id)}</span>;
}

/** `user:admin (14275dd6…)` for a subject or actor that names a principal or agent; any other subject as it is. */
export function SubjectWithName({ subject }: { subject: string }) {
  const ref = subjectRef(subject);
  if (!ref) return <>{subject}</>;
  return (
    <>
      {subject.slice(0, subject.indexOf(':') + 1)}
      <NameWithId kind={ref[0]} id={ref[1]} />
    </>
  );
}
