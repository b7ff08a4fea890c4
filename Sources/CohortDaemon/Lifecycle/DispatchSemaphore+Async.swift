// Waiting for a dedicated thread to finish from async code without parking a cooperative-pool thread
// (the pool has one thread per core; blocking one would stall the control plane).
import Dispatch

extension DispatchSemaphore {
    /// Suspends until the semaphore is signalled; the blocking wait happens on a Dispatch thread.
    func waitAsync() async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { [self] in
                wait()
                continuation.resume()
            }
        }
    }
}
