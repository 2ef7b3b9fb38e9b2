-- Lua shared by every wrk run of bench/: one machine-readable line with rate, percentiles and errors.
threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
    local secs = summary.duration / 1e6
    local e = summary.errors
    local pairs_done = 0
    for _, t in ipairs(threads) do pairs_done = pairs_done + (t:get("n_submit") or 0) end
    io.write(string.format("BENCH rps=%.1f p50=%.3f p99=%.3f requests=%d non2xx=%d sockerr=%d pairs=%.1f\n",
        summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        summary.requests, e.status, e.connect + e.read + e.write + e.timeout, pairs_done / secs))
end
