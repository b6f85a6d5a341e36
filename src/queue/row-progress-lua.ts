import { luaScript, type LuaScript } from '../redis/scripts.js';

/**
 * The atomic operations on a row's progress (`runKeys().progress`), as Lua: KEYS[1] is the
 * progress hash; ARGV[1] the row id, ARGV[2] its content hash, ARGV[3] the caller's progress
 * (used when Redis has none for this version). See row-progress.ts for what each one means.
 */
// Shared Lua: load the stored progress of this version (ARGV[2]) or the caller's fallback (ARGV[3]).
const LOAD = `
local function load()
  local stored = redis.call('HGET', KEYS[1], ARGV[1])
  if stored then
    local ok, p = pcall(cjson.decode, stored)
    if ok and p['contentHash'] == ARGV[2] then return p end
  end
  return cjson.decode(ARGV[3])
end
local function has(list, token)
  return string.find(',' .. list .. ',', ',' .. token .. ',', 1, true) ~= nil
end
local function without(list, token)
  local kept = {}
  for item in string.gmatch(list, '[^,]+') do if item ~= token then table.insert(kept, item) end end
  return table.concat(kept, ',')
end
local function joined(list, item)
  if list == '' then return item end
  return list .. ',' .. item
end
local function save(p)
  local json = cjson.encode(p)
  redis.call('HSET', KEYS[1], ARGV[1], json)
  return json
end
`;

const script = (name: string, keys: number, body: string): LuaScript => luaScript(name, keys, LOAD + body);

// KEYS: progress, the job's lock. ARGV: id, hash, fallback, token, lock token. Counts a submit
// only while this worker still holds the row's lock, and never while a request is awaited.
export const BEGIN = script(
  'ttsBeginSubmit',
  2,
  `
if redis.call('GET', KEYS[2]) ~= ARGV[5] then return {'fenced', ''} end
local p = load()
if type(p['current']) == 'table' then return {'current', save(p)} end
p['submits'] = p['submits'] + 1
p['sending'] = joined(p['sending'], ARGV[4])
return {'ok', save(p)}
`,
);

// ARGV: id, hash, fallback, token, request JSON. A token this Redis never counted (it forgot
// the row while the POST was out) is counted now.
export const ANSWER = script(
  'ttsStoreAnswer',
  1,
  `
local p = load()
if has(p['sending'], ARGV[4]) then p['sending'] = without(p['sending'], ARGV[4])
elseif has(p['settled'], ARGV[4]) then p['settled'] = without(p['settled'], ARGV[4])
else
  p['submits'] = p['submits'] + 1
  p['reasons'] = joined(p['reasons'], 'uncounted')
end
local request = cjson.decode(ARGV[5])
p['current'] = request
p['lastRequestId'] = request['requestId']
return save(p)
`,
);

// ARGV: id, hash, fallback, token. The POST surely created nothing: take it back.
export const CANCEL = script(
  'ttsCancelSubmit',
  1,
  `
local p = load()
if has(p['sending'], ARGV[4]) then
  p['sending'] = without(p['sending'], ARGV[4])
  p['submits'] = p['submits'] - 1
end
return save(p)
`,
);

// ARGV: id, hash, fallback, token or '*' (every POST in flight), reason. The POSTs may have
// been billed and their answers will not be stored by their senders: they stay counted.
export const SETTLE = script(
  'ttsSettleSubmits',
  1,
  `
local p = load()
for token in string.gmatch(p['sending'], '[^,]+') do
  if ARGV[4] == '*' or token == ARGV[4] then
    p['sending'] = without(p['sending'], token)
    p['settled'] = joined(p['settled'], token)
    p['reasons'] = joined(p['reasons'], ARGV[5])
  end
end
return save(p)
`,
);

// ARGV: id, hash, fallback, submits the row's journal counts, reason, the journal's last request
// JSON or ''. Redis came back without some of the row's submits (a failover, an older snapshot):
// they are counted again, each with the reason, and an answered request it forgot is awaited.
export const RECOUNT = script(
  'ttsRecountSubmits',
  1,
  `
local p = load()
local n = tonumber(ARGV[4])
if n > p['submits'] then
  for _ = 1, n - p['submits'] do p['reasons'] = joined(p['reasons'], ARGV[5]) end
  p['submits'] = n
  if ARGV[6] ~= '' and p['saved'] == nil then
    local request = cjson.decode(ARGV[6])
    if p['lastRequestId'] ~= request['requestId'] then
      p['current'] = request
      p['lastRequestId'] = request['requestId']
    end
  end
end
return save(p)
`,
);

// ARGV: id, hash, fallback, new progress JSON. Everything but the billing fields, which only
// the operations above change; calls never go down.
export const SAVE = script(
  'ttsSaveProgress',
  1,
  `
local p = load()
local n = cjson.decode(ARGV[4])
n['submits'] = p['submits']
n['sending'] = p['sending']
n['settled'] = p['settled']
n['calls'] = math.max(n['calls'] or 0, p['calls'] or 0)
return save(n)
`,
);
