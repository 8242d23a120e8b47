// Validates Kubernetes objects with the kubernetes-models packages (ESM-only,
// so jest's CommonJS runtime calls this script as a child process).
// stdin: a JSON array of objects; stdout: a JSON array of error strings.
const PACKAGES = {
  'traefik.io': '@kubernetes-models/traefik',
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
  'cert-manager.io': '@kubernetes-models/cert-manager',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'argoproj.io': '@kubernetes-models/argo-cd',
};
// Kinds with no package: validated against their CRD file only (see schema.ts).
const NO_PACKAGE = new Set(['k8s.nginx.org', 'postgresql.cnpg.io']);

let input = '';
for await (const chunk of process.stdin) input += chunk;
const objects = JSON.parse(input);
const errors = [];
const covered = [];
for (const obj of objects) {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const id = `${obj.kind}/${obj.metadata?.name}`;
  if (NO_PACKAGE.has(group)) continue;
  const base = group === '' ? 'kubernetes-models' : (PACKAGES[group] ?? `kubernetes-models`);
  const path = group === '' ? `${base}/${version}/${obj.kind}` : `${base}/${group}/${version}/${obj.kind}`;
  let mod;
  try {
    mod = await import(path);
  } catch (e) {
    errors.push(`${id}: no kubernetes-models class at ${path}`);
    continue;
  }
  try {
    new mod[obj.kind](obj).validate();
    covered.push(id);
  } catch (e) {
    errors.push(`${id}: ${e.message}`);
  }
}
process.stdout.write(JSON.stringify({ errors, covered }));
