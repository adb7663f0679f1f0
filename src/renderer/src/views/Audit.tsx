/** Contract audit: wired to the audit domain's methods when this build has them. */
import { NotAvailable } from '../components/States';

export function AuditView({ address }: { address?: string | undefined }) {
  return (
    <div className="view">
      <h2>Contract audit {address ? <span className="mono muted small">{address}</span> : null}</h2>
      <NotAvailable what="Contract auditing" />
    </div>
  );
}
