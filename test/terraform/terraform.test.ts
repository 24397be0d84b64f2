import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from '@cdktf/hcl2json';
import { parseConfig } from '../../core/config/index.js';
import { terraformHint } from '../../storage/store/retention.js';
import { repoRoot } from '../support/cli.js';

/**
 * terraform/ checked without a terraform binary or provider: every .tf file goes through HashiCorp's
 * HCL parser (@cdktf/hcl2json, the Go parser compiled to wasm), and the facts the gateway depends on
 * are asserted on the parsed blocks. Expressions come back as "${…}" strings, unevaluated.
 */
const tfDir = path.join(repoRoot, 'terraform');
const EXPECTED_FILES = ['bucket.tf', 'fleet.tf', 'iam.tf', 'network.tf', 'outputs.tf', 'variables.tf', 'versions.tf'];

type Body = Record<string, any>;
interface Parsed {
  resource: Record<string, Record<string, Body[]>>;
  locals?: Body[];
  variable?: Record<string, Body[]>;
  terraform?: Body[];
}

const resources = new Map<string, Body>();
const locals: Body = {};
const variables = new Map<string, Body>();
const terraformBlocks: Body[] = [];

function resource(address: string): Body {
  const r = resources.get(address);
  assert.ok(r, `terraform/ declares ${address}`);
  return r;
}

function ofType(type: string): [string, Body][] {
  return [...resources].filter(([address]) => address.startsWith(`${type}.`));
}

/** "${google_compute_health_check.ready.id}" → the health check block it points at. */
function referenced(expression: unknown, attribute = 'id'): Body {
  const m = /^\$\{([a-z0-9_]+\.[a-z0-9_]+)\.([a-z_]+)\}$/.exec(String(expression));
  assert.ok(m, `expected a plain reference, got ${String(expression)}`);
  assert.equal(m[2], attribute);
  return resource(m[1]!);
}

before(async () => {
  for (const file of EXPECTED_FILES) {
    const parsed = (await parse(file, readFileSync(path.join(tfDir, file), 'utf8'))) as Parsed;
    for (const [type, byName] of Object.entries(parsed.resource ?? {})) {
      for (const [name, bodies] of Object.entries(byName)) {
        assert.ok(!resources.has(`${type}.${name}`), `${type}.${name} declared twice`);
        resources.set(`${type}.${name}`, bodies[0]!);
      }
    }
    for (const block of parsed.locals ?? []) Object.assign(locals, block);
    for (const [name, bodies] of Object.entries(parsed.variable ?? {})) variables.set(name, bodies[0]!);
    terraformBlocks.push(...(parsed.terraform ?? []));
  }
});

describe('terraform/', () => {
  test('every .tf file is valid HCL (and the parser does reject invalid HCL)', async () => {
    const present = readdirSync(tfDir).filter((f) => f.endsWith('.tf')).sort();
    assert.deepEqual(present, EXPECTED_FILES);
    await assert.rejects(parse('broken.tf', 'resource "x" "y" {\n  a = \n}\n'), /Invalid expression/);
    const google = terraformBlocks[0]?.required_providers?.[0]?.google;
    assert.deepEqual(google, { source: 'hashicorp/google', version: '~> 6.0' });
  });

  test('the recordings bucket is private, unversioned, with a locked retention of retention_days', () => {
    const bucket = resource('google_storage_bucket.tapegate_recordings');
    assert.deepEqual(bucket.retention_policy, [{ is_locked: true, retention_period: '${var.retention_days * 86400}' }]);
    assert.equal(bucket.uniform_bucket_level_access, true);
    assert.equal(bucket.public_access_prevention, 'enforced');
    assert.deepEqual(bucket.versioning, [{ enabled: false }]);
    assert.equal(bucket.enable_object_retention, '${var.enable_object_retention}');
    assert.equal(bucket.force_destroy, false);
    // The gateway's refusal to start quotes this very resource and file.
    const hint = terraformHint('acme-recordings', 365);
    assert.match(hint, /resource "google_storage_bucket" "tapegate_recordings"/);
    assert.match(hint, /terraform\/bucket\.tf/);
    assert.match(hint, /is_locked\s+= true/);
  });

  test('the gateway service account can create objects and read metadata, nothing that deletes or administers', () => {
    const gatewayMember = 'serviceAccount:${google_service_account.gateway.email}';
    const iam = [...resources].filter(([address]) => /^google_[a-z_]+_iam_(member|binding|policy)\./.test(address));
    assert.ok(iam.length >= 3);
    for (const [address, body] of iam) {
      assert.match(address, /_iam_member\./, `${address}: only additive *_iam_member grants, never an authoritative binding or policy`);
      assert.ok(!address.startsWith('google_project_iam_member.'), `${address}: no project-wide grants`);
      assert.equal(body.member, gatewayMember, `${address} grants to the gateway`);
      assert.doesNotMatch(String(body.role), /admin|owner|editor|delete|objectUser|legacy/i, `${address}: ${body.role}`);
    }
    const onRecordings = iam
      .filter(([, body]) => body.bucket === '${google_storage_bucket.tapegate_recordings.name}')
      .map(([, body]) => body.role)
      .sort();
    assert.deepEqual(onRecordings, ['${google_project_iam_custom_role.gateway_bucket_reader.name}', 'roles/storage.objectCreator']);

    const custom = resource('google_project_iam_custom_role.gateway_bucket_reader');
    const permissions = [...String(custom.permissions).matchAll(/"([a-zA-Z.]+)"/g)].map((m) => m[1]);
    assert.deepEqual(permissions, ['storage.buckets.get', 'storage.objects.get', 'storage.objects.setRetention']);
    assert.match(String(custom.permissions), /var\.verify_uploads \? \["storage\.objects\.get"\]/);
    assert.match(String(custom.permissions), /var\.enable_object_retention \? \["storage\.objects\.setRetention"\]/);
    assert.equal(variables.get('verify_uploads')?.default, true);

    const impersonation = resource('google_service_account_iam_member.gateway_impersonates');
    assert.equal(impersonation.role, 'roles/iam.serviceAccountTokenCreator');
    assert.equal(impersonation.for_each, '${local.target_service_accounts}');
  });

  test('the load balancer and autohealing both probe /readyz on the admin port', () => {
    const mig = resource('google_compute_region_instance_group_manager.gateway');
    const backend = resource('google_compute_region_backend_service.data');
    const checks = [referenced(mig.auto_healing_policies[0].health_check), referenced(backend.health_checks[0])];
    for (const check of checks) assert.deepEqual(check.http_health_check, [{ port: '${var.admin_port}', request_path: '/readyz' }]);
    assert.ok(Number(mig.auto_healing_policies[0].initial_delay_sec) >= 300, 'the first boot installs Node.js: autohealing waits for it');

    // The spool disk survives autohealing: the stateful disk is the template's data disk.
    const template = referenced(mig.version[0].instance_template);
    const dataDisk = template.disk.find((d: Body) => d.boot === false);
    assert.equal(dataDisk.device_name, '${local.spool_device_name}');
    assert.deepEqual(mig.stateful_disk, [{ device_name: '${local.spool_device_name}', delete_rule: 'ON_PERMANENT_INSTANCE_DELETION' }]);
    assert.equal(template.service_account[0].email, '${google_service_account.gateway.email}');
    assert.equal(template.disk.find((d: Body) => d.boot === true).source_image, 'debian-cloud/debian-12');
    assert.equal(template.network_interface[0].access_config, undefined, 'no external IP');

    const rule = resource('google_compute_forwarding_rule.data');
    assert.equal(rule.load_balancing_scheme, 'INTERNAL');
    assert.equal(rule.ip_protocol, 'TCP');
    assert.deepEqual(rule.ports, ['${tostring(var.data_port)}']);
    assert.equal(backend.load_balancing_scheme, 'INTERNAL');
  });

  test('agents reach only the data port; Google health checks reach only the admin port', () => {
    assert.equal(resource('google_compute_subnetwork.private').private_ip_google_access, true);
    const agents = resource('google_compute_firewall.agents_to_data_port');
    assert.deepEqual(agents.allow, [{ protocol: 'tcp', ports: ['${tostring(var.data_port)}'] }]);
    assert.equal(agents.source_ranges, '${var.agent_source_ranges}');
    const health = resource('google_compute_firewall.health_checks_to_admin_port');
    assert.deepEqual(health.allow, [{ protocol: 'tcp', ports: ['${tostring(var.admin_port)}'] }]);
    assert.equal(health.source_ranges, '${local.health_check_ranges}');
    assert.deepEqual(locals.health_check_ranges, ['35.191.0.0/16', '130.211.0.0/22']);
    for (const [address, body] of ofType('google_compute_firewall')) {
      assert.equal(body.direction, 'INGRESS', address);
      assert.equal(body.target_tags?.[0], '${local.gateway_tag}', `${address} applies to the gateway VMs only`);
      assert.ok(!JSON.stringify(body.source_ranges ?? '').includes('0.0.0.0/0'), `${address} is not open to the internet`);
      assert.equal(body.allow.length, 1, `${address} opens one port`);
    }
  });

  test('templates/tapegate.json.tftpl renders a config that the real config schema accepts', () => {
    const template = readFileSync(path.join(tfDir, 'templates/tapegate.json.tftpl'), 'utf8');
    const vars = locals.tapegate_config_vars as Body;
    assert.ok(vars, 'fleet.tf: local.tapegate_config_vars');
    // Every interpolation is ${jsonencode(name)} of a value fleet.tf passes, so the JSON stays valid
    // whatever the value; nothing else (no directives) needs Terraform to render.
    const used = [...template.matchAll(/\$\{jsonencode\(([a-z_]+)\)\}/g)].map((m) => m[1]!);
    assert.equal(template.replace(/\$\{jsonencode\([a-z_]+\)\}/g, '').match(/\$\{|%\{/), null, 'only ${jsonencode(name)} interpolations');
    assert.deepEqual([...new Set(used)].sort(), Object.keys(vars).sort(), 'the template uses exactly the values fleet.tf passes');
    assert.equal(vars.bucket, '${google_storage_bucket.tapegate_recordings.name}');
    assert.equal(vars.retention_days, '${var.retention_days}', 'store.minRetentionDays is the bucket\'s locked period');

    // The shapes fleet.tf builds (its for-expression over var.connections), with sample values.
    const sample: Record<string, unknown> = {
      data_dir: '/var/lib/tapegate',
      drain_timeout_ms: 30000,
      data_port: 8080,
      admin_port: 9090,
      spool_max_bytes: 35 * 1073741824,
      bucket: 'acme-tapegate-recordings',
      store_prefix: 'tapegate',
      retention_days: 365,
      auth_issuers: [{ issuer: 'https://token.actions.githubusercontent.com', audience: 'tapegate', subjectClaim: 'repository' }],
      policy_rules: [{ name: 'ops-allow', groups: ['ops'], action: 'allow' }],
      connections: [
        {
          name: 'storage',
          match: { pathPrefixes: ['/storage/v1/', '/upload/storage/v1/'] },
          upstream: 'https://storage.googleapis.com',
          recording: 'full',
          credentials: { type: 'impersonate', source: { type: 'adc' }, targetPrincipal: 'agent-storage@acme-data.iam.gserviceaccount.com' },
        },
        { name: 'compute', match: { pathPrefixes: ['/compute/v1/'] }, upstream: 'https://compute.googleapis.com', recording: 'metadata' },
      ],
    };
    assert.deepEqual(Object.keys(sample).sort(), Object.keys(vars).sort());
    assert.match(String(vars.connections), /match\s+= \{ pathPrefixes = c\.path_prefixes \}/);
    assert.match(String(vars.connections), /credentials = \{ type = "impersonate", source = \{ type = "adc" \}, targetPrincipal = c\.service_account \}/);

    const rendered = template.replace(/\$\{jsonencode\(([a-z_]+)\)\}/g, (_, name: string) => JSON.stringify(sample[name]));
    const cfg = parseConfig(JSON.parse(rendered), 'tapegate.json.tftpl');
    assert.equal(cfg.store.type, 'gcs');
    if (cfg.store.type !== 'gcs') return;
    assert.equal(cfg.store.bucket, 'acme-tapegate-recordings');
    assert.equal(cfg.store.minRetentionDays, 365);
    assert.deepEqual(cfg.store.credentials, { type: 'adc' });
    assert.equal(cfg.store.allowUnlockedBucket, false);
    assert.equal(cfg.listen.host, '0.0.0.0');
    assert.equal(cfg.listen.adminPort, 9090);
    assert.equal(cfg.auth.development.enabled, false);
    assert.equal(cfg.connections[0]!.credentials?.type, 'impersonate');
    assert.equal(cfg.dataDir, '/var/lib/tapegate');
  });

  test('templates/startup.sh.tftpl installs Node 20 and runs tapegate serve on the rendered config', () => {
    const script = readFileSync(path.join(tfDir, 'templates/startup.sh.tftpl'), 'utf8');
    const vars = locals.startup_vars as Body;
    assert.ok(vars, 'fleet.tf: local.startup_vars');
    // ${name} is Terraform's; $${…} would be a literal. Every interpolation is a value fleet.tf passes.
    const used = [...script.matchAll(/(?<!\$)\$\{([^}]*)\}/g)].map((m) => m[1]!);
    for (const name of used) assert.ok(Object.hasOwn(vars, name), `startup.sh.tftpl uses \${${name}}, which fleet.tf does not pass`);
    assert.deepEqual([...new Set(used)].sort(), Object.keys(vars).sort());
    assert.match(String(vars.config_json), /templatefile\("\$\{path\.module\}\/templates\/tapegate\.json\.tftpl", local\.tapegate_config_vars\)/);
    // The config goes into a quoted heredoc, so the shell never expands anything in it.
    assert.match(script, /<<'TAPEGATE_CONFIG'\n\$\{config_json\}\nTAPEGATE_CONFIG\n/);
    assert.match(script, /https:\/\/deb\.nodesource\.com\/node_20\.x/);
    assert.match(script, /ExecStart=\/usr\/local\/bin\/tapegate serve --config \/etc\/tapegate\/tapegate\.json/);
    assert.match(script, /^set -euo pipefail$/m);
    assert.doesNotMatch(script, /allow-unlocked-bucket/);
    const template = resource('google_compute_instance_template.gateway');
    assert.equal(template.metadata['startup-script'], '${templatefile("${path.module}/templates/startup.sh.tftpl", local.startup_vars)}');
  });
});
