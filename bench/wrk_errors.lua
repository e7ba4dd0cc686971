-- bench/server.py --wrk: every request fails (401, 400 with five field errors, 404), in turn.
local bad_order = '{"email": "not-an-email", "connector": {"name": "", "config": {"api_key": "short", "region": "mars"}}, "items": [{"sku": "A-1", "qty": 0}]}'
local requests = {}
local counter = 0

function init(args)
  requests[1] = wrk.format("GET", "/api/demo/account/")
  requests[2] = wrk.format("POST", "/api/demo/orders/", {["Content-Type"] = "application/json"}, bad_order)
  requests[3] = wrk.format("GET", "/api/demo/errors/no_such_code/")
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end
