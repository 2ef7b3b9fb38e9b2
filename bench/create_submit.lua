-- create+submit: each connection POSTs a complete proposal; the 201 answer's id is queued and
-- the next request of that thread submits it. Latency is per request, over both kinds;
-- pairs/s = successful submits per second. bench/run.sh appends report.lua.
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")
local pending = {}
n_create = 0
n_submit = 0
n_bad = 0
function request()
    local id = table.remove(pending)
    if id then
        return wrk.format("POST", "/api/v1/proposals/" .. id .. "/transitions",
            { ["Authorization"] = auth, ["Content-Type"] = "application/json" },
            '{"action":"submit"}')
    end
    return wrk.format("POST", "/api/v1/proposals",
        { ["Authorization"] = auth, ["Content-Type"] = "application/json" }, body)
end
function response(status, headers, resp)
    if status == 201 then
        local id = string.match(resp, '"id":"([0-9a-f%-]+)"')
        if id then table.insert(pending, id); n_create = n_create + 1 end
    elseif status == 200 then
        n_submit = n_submit + 1
    else
        n_bad = n_bad + 1
    end
end
