/** Models: wired to the ml domain's methods when this build has them. */
import { NotAvailable } from '../components/States';
import { TaskList } from '../components/Tasks';

export function ModelsView() {
  return (
    <div className="view">
      <h2>Models</h2>
      <NotAvailable what="Model training and validation" />
      <section className="panel">
        <h3>Training in progress</h3>
        <TaskList kinds={['train', 'score', 'ml.train', 'ml.score']} />
      </section>
    </div>
  );
}
