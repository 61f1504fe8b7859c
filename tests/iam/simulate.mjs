// Evaluates AWS requests against IAM policies with @cloud-copilot/iam-simulate (pinned in
// package-lock.json; the tests install it into target/tmp/tools/iam/ with `npm ci`).
//
//   node simulate.mjs < cases.json > decisions.json
//
// cases.json: {"cases": [{
//   "name": "...",                       what the case is, for the report
//   "principal": "arn:aws:sts::...",     who sends the request
//   "action": "route53:ChangeResourceRecordSets",
//   "resource": "arn:aws:route53:::hostedzone/Z1", "resource_account": "111111111111",
//   "context": {"aws:PrincipalAccount": "...", ...},   the request context, as AWS builds it
//   "identity_policies": [{"name": "...", "policy": {...}}],
//   "resource_policy": {...}             optional: trust policy, key policy, file system policy
// }]}
//
// decisions.json: [{"name", "decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied",
//   "errors": null | {...}, "unknown_context_keys": [...], "ignored_context_keys": [...],
//   "evaluated": "...", "explain": "..."}]
//
// The evaluator runs in Strict mode: the request is evaluated exactly as given. It does not
// fill the request context itself, so every key comes from the caller; a key that AWS does
// not send for the action and resource (per the Service Authorization Reference data that
// iam-simulate ships) is listed in unknown_context_keys, so a test cannot lean on a key
// that would be absent on AWS.
//
// One gap of iam-simulate 0.1.173 is closed here: its request normalizer drops context keys
// of the form `kms:EncryptionContext:<key>` (it matches variable keys only after a `/`), so
// a key-policy condition on the encryption context would see the key as absent. A case
// whose only dropped keys are such keys, each one the Service Authorization Reference
// lists for the action, is evaluated again with `runUnsafeSimulation` (the same engine on
// the context as given) after `runSimulation` has validated its policies and request; its
// decision then says `evaluated: "with kms:EncryptionContext keys"`. Any other dropped key
// is reported in ignored_context_keys, and the test fails.
//
// A second gap, of iam-data 0.21.202609261: it holds Elastic Load Balancing (v1) and
// Elastic Load Balancing V2 under their one prefix `elasticloadbalancing`, and for the
// actions both define keeps v1's resource type only (`loadbalancer`). So AddTags and
// RemoveTags on a V2 target group, listener or listener rule have no resource type there
// and runSimulation answers `no.resource.types`. The Service Authorization Reference
// ("Actions defined by Elastic Load Balancing V2") lists those resource types for both
// actions, with the same condition keys as for a load balancer (all action-level in the
// data). Such a case is validated and its keys listed with the resource replaced by a V2
// load balancer of the same account and region, then evaluated on the real resource with
// `runUnsafeSimulation`; its decision says `evaluated: "ELB V2 tagging"`.
import { allowedContextKeysForRequest, runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

const input = JSON.parse(await new Promise((resolve, reject) => {
  let text = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk) => { text += chunk })
  process.stdin.on('end', () => resolve(text))
  process.stdin.on('error', reject)
}))

// `aws:RequestTag/${TagKey}` and `aws:PrincipalTag/tag-key` stand for any tag key.
function keyMatches(allowed, key) {
  const variable = allowed.match(/^(.*\/)(\$\{[^}]+\}|tag-key)$/)
  if (variable) return key.startsWith(variable[1])
  const contextKey = allowed.match(/^(.*:)\$\{[^}]+\}$/)
  if (contextKey) return key.startsWith(contextKey[1])
  return allowed === key
}

async function unknownContextKeys(action, resource, context) {
  const [service, name] = action.split(':')
  let allowed
  try {
    allowed = await allowedContextKeysForRequest(service, name, resource)
  } catch (error) {
    return [`(cannot list the keys of ${action}: ${error.message})`]
  }
  return Object.keys(context).filter((key) => !allowed.some((a) => keyMatches(a, key.toLowerCase())))
}

// For AddTags or RemoveTags on an ELB V2 target group, listener or listener rule: the ARN
// of a V2 load balancer of the same account and region to validate the case with (see the
// header); otherwise null.
function elbV2TaggingStandIn(action, resource) {
  if (!['elasticloadbalancing:addtags', 'elasticloadbalancing:removetags'].includes(action.toLowerCase())) return null
  const match = resource.match(/^(arn:[^:]+:elasticloadbalancing:[^:]+:[0-9]{12}):(targetgroup|listener|listener-rule)\//)
  return match ? `${match[1]}:loadbalancer/app/stand-in/0123456789abcdef` : null
}

function explain(result) {
  const analysis = result?.analysis
  if (!analysis) return ''
  const parts = []
  for (const [label, part] of [['identity', analysis.identityAnalysis], ['resource', analysis.resourceAnalysis]]) {
    if (!part) continue
    parts.push(`${label}: ${part.result}`)
  }
  return parts.join('; ')
}

const decisions = []
for (const c of input.cases) {
  const simulation = {
    request: {
      principal: c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resource_account },
      contextVariables: c.context,
    },
    identityPolicies: c.identity_policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(c.resource_policy ? { resourcePolicy: c.resource_policy } : {}),
  }
  const elbV2Tagging = elbV2TaggingStandIn(c.action, c.resource)
  const validated = elbV2Tagging
    ? { ...simulation, request: { ...simulation.request, resource: { ...simulation.request.resource, resource: elbV2Tagging } } }
    : simulation
  const response = await runSimulation(validated, { simulationMode: 'Strict' })
  const unknown = await unknownContextKeys(c.action, elbV2Tagging ?? c.resource, c.context)
  let decision = response.resultType === 'error' ? 'Error' : response.overallResult
  let ignored = response.resultType === 'single' ? response.result.ignoredContextKeys ?? [] : []
  let evaluated = 'runSimulation'
  const encryptionContext = (key) => key.toLowerCase().startsWith('kms:encryptioncontext:')
  // runUnsafeSimulation loads the resource policy without a name and then reads it: hand
  // it the policy already bundled with one (iam-policy's ValidatedPolicy shape).
  const named = simulation.resourcePolicy
    ? { ...simulation, resourcePolicy: { __validated: true, policyDocument: simulation.resourcePolicy, metadata: { name: 'ResourcePolicy' }, errors: [] } }
    : simulation
  if (response.resultType === 'single' && ignored.length > 0 && ignored.every(encryptionContext) && unknown.length === 0) {
    decision = runUnsafeSimulation(named, { simulationMode: 'Strict' })
    evaluated = 'with kms:EncryptionContext keys'
    ignored = []
  } else if (elbV2Tagging && response.resultType === 'single' && ignored.length === 0 && unknown.length === 0) {
    decision = runUnsafeSimulation(named, { simulationMode: 'Strict' })
    evaluated = 'ELB V2 tagging'
  }
  decisions.push({
    name: c.name,
    decision,
    errors: response.resultType === 'error' ? response.errors : null,
    unknown_context_keys: unknown,
    ignored_context_keys: ignored,
    evaluated,
    explain: response.resultType === 'single' ? explain(response.result) : '',
  })
}
process.stdout.write(JSON.stringify(decisions, null, 1) + '\n')
