import NIOCore
import NIOPosix

/// Runs the gRPC handlers' jobs on NIO's event loops instead of Swift Concurrency's pool: a job
/// enqueued on an event loop's thread (a request read from its connection) runs on that same
/// loop, so a call no longer hops between the connection's thread and the pool at each step.
/// Jobs from elsewhere (the engine's threads) go to the next loop. REST keeps the pool: only the
/// gRPC server's tasks prefer this executor.
final class EventLoopTaskExecutor: TaskExecutor {
    private let group: MultiThreadedEventLoopGroup

    init(group: MultiThreadedEventLoopGroup = .singleton) {
        self.group = group
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        loop.execute { unowned.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
