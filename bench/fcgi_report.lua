-- fcgi_report.lua: wrk's report for bench/fcgi, one machine-readable line.
--
-- Fields (tab-separated, after the tag "WRKRESULT"): requests, duration
-- (us), bytes read, errors (connect, read, write, status >= 400, timeout),
-- latency p50, p90, p99 and maximum (us).  wrk's own text report stays
-- above it in the log, for a human.
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
	    "WRKRESULT\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n",
	    summary.requests, summary.duration, summary.bytes,
	    e.connect, e.read, e.write, e.status, e.timeout,
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency.max))
end
