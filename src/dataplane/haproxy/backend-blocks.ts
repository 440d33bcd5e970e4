/**
 * The backend sections of haproxy.cfg: a service's backend (balance, timeouts, checks, the pin
 * rules, the JSON 503 when no server can take traffic, its server lines), a spare backend, and
 * `addServerArgs`, the same server arguments the runtime API's `add server` takes.
 */
import {
  PIN_HEADER,
  SPARE_DEFAULTS,
  SPARE_PREFIX,
  type DesiredBackend,
  type DesiredServer,
} from './desired.js';

export const JSON_TYPE = `"application/json; charset=utf-8"`;

function serverLine(s: DesiredServer): string {
  return `    server ${s.name} ${addServerArgs(s)}  # ${s.upstream} ${s.target}`;
}

/**
 * A server's TLS: an https service's servers speak it (verified against the system CAs only with
 * tls_verify, with the in-process proxy's SNI); Kong's active `type: https` checks do too, with
 * `https_sni` and `https_verify_certificate`.
 */
function tlsArgs(s: DesiredServer): string {
  let args = '';
  const verify = (on: boolean) => (on ? ' verify required ca-file @system-ca' : ' verify none');
  if (s.tls) {
    args += ` ssl${verify(s.tls.verify)}`;
    if (s.tls.sni) args += ` sni str(${s.tls.sni})`;
    if (s.check?.tls?.sni) args += ` check-sni ${s.check.tls.sni}`;
  } else if (s.check?.tls) {
    args += ` check-ssl${verify(s.check.tls.verify)}`;
    if (s.check.tls.sni) args += ` check-sni ${s.check.tls.sni}`;
  }
  return args;
}

/** As the in-process proxy answers a pin to an upstream the service does not have (404). */
const NO_PIN = `"{\\"message\\":\\"no app or upstream '%[var(txn.sy_up),json(utf8s)]' on this route\\"}"`;

/**
 * `X-Switchyard-Upstream: APP-green` pins a request to one upstream of the service, whatever its
 * weight: a server of that upstream picked at random (rand mod the count) from the pin maps,
 * which the driver keeps up to date. An upstream the service does not have: 404, as in-process.
 */
export function pinRules(pins: string, counts: string): string[] {
  return [
    `    http-request set-var(txn.sy_up) req.hdr(${PIN_HEADER})`,
    '    acl sy_pinned var(txn.sy_up) -m found',
    '    http-request set-var(txn.sy_pin) be_name,concat(/,txn.sy_up,) if sy_pinned',
    `    http-request set-var(txn.sy_pinn) var(txn.sy_pin),map_str_int(${counts}) if sy_pinned`,
    `    http-request return status 404 content-type ${JSON_TYPE} lf-string ${NO_PIN} if sy_pinned !{ var(txn.sy_pinn) -m found }`,
    '    http-request set-var(txn.sy_pini) rand,mod(txn.sy_pinn) if sy_pinned',
    `    http-request set-var(txn.sy_pinsrv) var(txn.sy_pin),concat(/,txn.sy_pini,),map(${pins}) if sy_pinned`,
    '    use-server %[var(txn.sy_pinsrv)] if { var(txn.sy_pinsrv) -m found }',
  ];
}

/**
 * A backend with no server that can take traffic answers as the in-process proxy does: JSON naming
 * what was asked and the service, not HAProxy's HTML page (a request pinned to a server still goes).
 */
function noTargetRule(service: string | null): string {
  const whose = service ? ` (service ${service})` : '';
  const message = `no available target for route %[req.hdr(host),host_only,json(utf8s)]%[path,json(utf8s)]${whose}: every target has weight 0, is stopped or unhealthy, or there are none`;
  return `    http-request return status 503 content-type ${JSON_TYPE} lf-string '{"message":"${message}"}' if { nbsrv lt 1 } !{ var(txn.sy_pinsrv) -m found }`;
}

export function backendBlock(b: DesiredBackend, pins: string[]): string[] {
  const lines = [
    '',
    `backend ${b.name}  # service ${b.service}`,
    ...b.balance.map((l) => `    ${l}`),
    `    retries ${b.retries}`,
    `    timeout connect ${b.connectMs}ms`,
    `    timeout server ${b.serverMs}ms`,
  ];
  if (b.httpchk) lines.push(`    option httpchk ${b.httpchk}`);
  if (b.httpchk && b.checkHeaders.length)
    lines.push(`    http-check send${b.checkHeaders.map(([k, v]) => ` hdr ${k} "${v}"`).join('')}`);
  lines.push(...pins, noTargetRule(b.service));
  for (const s of b.servers) lines.push(serverLine(s));
  return lines;
}

/** The arguments `add server` takes for a server, the same as its line in the file. */
export function addServerArgs(s: DesiredServer): string {
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  let args = `${host}:${s.port} weight ${s.weight}${tlsArgs(s)}`;
  if (s.check) args += ` check inter ${s.check.interMs} fall ${s.check.fall} rise ${s.check.rise}`;
  return args;
}

export function spareBlock(i: number, pins: string[]): string[] {
  return [
    '',
    `backend ${SPARE_PREFIX}${i}  # spare: a service added later is placed here at runtime`,
    '    balance roundrobin',
    `    retries ${SPARE_DEFAULTS.retries}`,
    `    timeout connect ${SPARE_DEFAULTS.connectMs}ms`,
    `    timeout server ${SPARE_DEFAULTS.serverMs}ms`,
    ...pins,
    noTargetRule(null),
  ];
}
