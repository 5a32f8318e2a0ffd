/** JSON without what only an append assigns, event ids, at every level: to compare a preview with what the command then did. */
export const withoutIds = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(withoutIds)
    : typeof value === 'object' && value !== null
      ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'eventId').map(([k, v]) => [k, withoutIds(v)]))
      : value;
