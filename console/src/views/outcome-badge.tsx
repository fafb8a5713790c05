import type { Outcome } from '../types';

export function OutcomeBadge({ outcome }: { outcome: Outcome }) {
  return <span class={`badge badge-${outcome}`}>{outcome}</span>;
}
