// Baseline for `npm run bench`: the smallest cdk8s-plus app, one Deployment.
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

const app = new App();
const chart = new Chart(app, 'bare');
new kplus.Deployment(chart, 'web', { containers: [{ image: 'nginx:1.27.3', portNumber: 80 }] });
app.synth();
