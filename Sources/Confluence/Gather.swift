/// Runs independent requests concurrently (the ``RateGovernor`` decides how many are really in
/// flight) and returns their results in input order, or the first error by input order.
func gather<Input: Sendable, Output: Sendable>(
    _ inputs: [Input], _ work: @escaping @Sendable (Input) async throws(ConfluenceError) -> Output
) async throws(ConfluenceError) -> [Output] {
    let results = await withTaskGroup(of: (Int, Result<Output, ConfluenceError>).self) { group in
        for (index, input) in inputs.enumerated() {
            group.addTask {
                do throws(ConfluenceError) {
                    return (index, .success(try await work(input)))
                } catch {
                    return (index, .failure(error))
                }
            }
        }
        var collected = [Result<Output, ConfluenceError>?](repeating: nil, count: inputs.count)
        for await (index, result) in group { collected[index] = result }
        return collected
    }
    var outputs: [Output] = []
    outputs.reserveCapacity(results.count)
    for result in results {
        if let result { outputs.append(try result.get()) }
    }
    return outputs
}
