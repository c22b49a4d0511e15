import Foundation

/// The standard `process_*` metrics, read from /proc at scrape time.
struct ProcessMetrics {
    var cpuSeconds: Double?
    var residentBytes: Double?
    var virtualBytes: Double?
    var openFileDescriptors: Int?
    var maxFileDescriptors: Int?
    var startTimeSeconds: Double?

    static func current() -> ProcessMetrics {
        var metrics = ProcessMetrics()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        // /proc/self/stat: the command name may hold spaces, so fields are counted after its ')'.
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // Fields 14, 15 (utime, stime), 22 (starttime), 23 (vsize), 24 (rss); fields[0] is field 3.
            if fields.count > 21, let user = Double(fields[11]), let system = Double(fields[12]) {
                metrics.cpuSeconds = (user + system) / ticks
                metrics.virtualBytes = Double(fields[20])
                metrics.residentBytes = Double(fields[21]).map { $0 * pageSize }
                if let start = Double(fields[19]), let boot = bootTime() { metrics.startTimeSeconds = boot + start / ticks }
            }
        }
        metrics.openFileDescriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 { metrics.maxFileDescriptors = Int(limit.rlim_cur) }
        return metrics
    }

    private static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    func emit(into buffer: inout [UInt8]) {
        func write(_ name: String, _ type: String, _ help: String, _ value: Double?) {
            guard let value else { return }
            buffer.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n".utf8)
        }
        write("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds)
        write("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentBytes)
        write("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", virtualBytes)
        write("process_open_fds", "gauge", "Number of open file descriptors.", openFileDescriptors.map(Double.init))
        write("process_max_fds", "gauge", "Maximum number of open file descriptors.", maxFileDescriptors.map(Double.init))
        write("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTimeSeconds)
    }
}
