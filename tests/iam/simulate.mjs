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
//   "errors": null | {...}, "unknown_context_keys": [...], "explain": "..."}]
//
// The evaluator runs in Strict mode: the request is evaluated exactly as given. It does not
// fill the request context itself, so every key comes from the caller; a key that AWS does
// not send for the action and resource (per the Service Authorization Reference data that
// iam-simulate ships) is listed in unknown_context_keys, so a test cannot lean on a key
// that would be absent on AWS.
import { allowedContextKeysForRequest, runSimulation } from '@cloud-copilot/iam-simulate'

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
  const response = await runSimulation(simulation, { simulationMode: 'Strict' })
  decisions.push({
    name: c.name,
    decision: response.resultType === 'error' ? 'Error' : response.overallResult,
    errors: response.resultType === 'error' ? response.errors : null,
    unknown_context_keys: await unknownContextKeys(c.action, c.resource, c.context),
    explain: response.resultType === 'single' ? explain(response.result) : '',
  })
}
process.stdout.write(JSON.stringify(decisions, null, 1) + '\n')
