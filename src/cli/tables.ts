/** Tables as `kf apps` and `kf routes` print them: aligned columns, one row per app or route. */

interface AppRow {
  name: string;
  state: string;
  command: string | null;
  instances: number;
  targets: string[] | null;
  addresses: string[];
  status: { healthy: number; desired: number; crashed: { reason: string } | null; rolling: boolean } | null;
  routes: { route: string; weight: number; percent: number }[];
  stats: { rate: number; requests: number };
}

interface RouteRow {
  route: string;
  service: string | null;
  apps: { name: string; weight: number; percent: number; state: string }[];
}

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

export function formatApps(reply: unknown): string {
  const apps = (reply as { data: AppRow[] }).data;
  if (!apps.length) return 'No apps. Push one: switchyard push APP --route HOST.DOMAIN --command CMD\n';
  return table(
    ['Name', 'State', 'Instances', 'Req/s', 'Requests', 'Routes'],
    apps.map((a) => {
      const st = a.status;
      // Answering / configured, as the UI shows it (a stopped app of 2 instances is 0/2, as kf apps says).
      const total = a.command === null ? (a.targets?.length ?? a.addresses.length) : a.instances;
      const instances = st ? `${st.healthy}/${total}${st.crashed ? ' crashed' : st.rolling ? ' rolling' : ''}` : `${a.addresses.length}/${a.addresses.length}`;
      const routes = a.routes.map((r) => `${r.route} (weight ${r.weight}, ${r.percent}%)`).join(', ') || '-';
      return [a.name, a.state, instances, a.stats.rate.toFixed(1), String(a.stats.requests), routes];
    }),
  );
}

export function formatRoutes(reply: unknown): string {
  const routes = (reply as { data: RouteRow[] }).data;
  if (!routes.length) return 'No routes.\n';
  return table(
    ['Route', 'Apps (weight, share)'],
    routes.map((r) => [r.route, r.apps.map((a) => `${a.name} (${a.weight}, ${a.percent}%${a.state === 'stopped' ? ', stopped' : ''})`).join(', ') || '- (no app: answers 503)']),
  );
}

interface DeploymentRow {
  id: string;
  mta: string;
  version: string | null;
  state: string;
  message: string | null;
  created_at: number;
  updated_at: number;
  modules: { old_app: string | null; new_app: string }[];
}

export function formatDeployments(reply: unknown): string {
  const list = (reply as { data: DeploymentRow[] }).data;
  if (!list.length) return 'No deployments. Start one: switchyard bg-deploy MANIFEST.yaml\n';
  const time = (s: number) => new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return table(
    ['ID', 'MTA', 'Version', 'State', 'Old → new', 'Started', 'Updated', 'Message'],
    list.map((d) => [d.id, d.mta, d.version ?? '-', d.state, d.modules.map((m) => `${m.old_app ?? '-'} → ${m.new_app}`).join(', '), time(d.created_at), time(d.updated_at), d.message ?? '']),
  );
}

interface PlaneReply {
  kind: string;
  instances: { id: string; reachable: boolean; drift: string[]; lastError: string | null; appliedVersion: number | null; reloadNeeded: string | null }[];
}

export function formatDataPlane(reply: unknown): string {
  const r = reply as PlaneReply;
  const rows = r.instances.map((i) => [
    i.id,
    i.reachable ? 'reachable' : 'UNREACHABLE',
    i.appliedVersion === null ? '-' : String(i.appliedVersion),
    i.drift.length ? `${i.drift.length} drift: ${i.drift.join('; ')}` : i.reloadNeeded ? `reload needed: ${i.reloadNeeded}` : (i.lastError ?? 'in sync'),
  ]);
  return `data plane: ${r.kind}\n` + table(['Instance', 'State', 'Version', 'Status'], rows);
}
