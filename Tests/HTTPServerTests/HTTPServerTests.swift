import ConcurrencyTestSupport
import Foundation
import Testing
@testable import HTTPServer

@Suite("HTTP server")
struct HTTPServerTests {
    @Test("two requests on one kept-alive connection, then a pipelined pair")
    func keepAlive() async throws {
        let (server, port) = try startServer(handler: echo)
        let (first, second, third, fourth) = try await onThread { () throws -> (String, String, String, String) in
            let client = try RawClient(port: port)
            client.send("POST /one HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            guard let one = client.readResponse() else { throw TestFailure("no first response") }
            client.send("GET /two HTTP/1.1\r\nHost: x\r\n\r\n")
            guard let two = client.readResponse() else { throw TestFailure("no second response") }
            client.send("POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\naGET /4 HTTP/1.1\r\nHost: x\r\n\r\n")
            guard let three = client.readResponse(), let four = client.readResponse() else { throw TestFailure("no pipelined responses") }
            return (one.text, two.text, three.text, four.text)
        }
        #expect(first == "POST /one hello")
        #expect(second == "GET /two ")
        #expect(third == "POST /3 a")
        #expect(fourth == "GET /4 ")
        #expect(server.currentStatistics.accepted == 1)
        await server.stop()
    }

    @Test("a request sent a byte at a time is read whole")
    func byteByByte() async throws {
        let (server, port) = try startServer(handler: echo)
        let text = try await onThread { () throws -> String in
            let client = try RawClient(port: port)
            for byte in "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok".utf8 {
                client.send([byte])
                usleep(200)
            }
            return client.readResponse()?.text ?? ""
        }
        #expect(text == "POST /b ok")
        await server.stop()
    }

    @Test("Connection: close and HTTP/1.0 close after the response")
    func connectionClose() async throws {
        let (server, port) = try startServer(handler: echo)
        let (status, header, closed, oldClosed) = try await onThread { () throws -> (Int, String?, Bool, Bool) in
            let client = try RawClient(port: port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let response = client.readResponse()
            let old = try RawClient(port: port)
            old.send("GET / HTTP/1.0\r\n\r\n")
            _ = old.readResponse()
            return (response?.status ?? 0, response?.headers["connection"], client.closedByServer(), old.closedByServer())
        }
        #expect(status == 200)
        #expect(header == "close")
        #expect(closed && oldClosed)
        await server.stop()
    }

    @Test("malformed requests get 400 and the connection closes; the server keeps serving", arguments: [
        "GARBAGE\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        "GET http://a/x HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /x HTTP/1.1\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "GET /x HTTP/1.1\nHost: x\n\n\r\n\r\n",
        "\u{01}\u{02}\u{03}\r\n\r\n",
    ])
    func malformed(_ request: String) async throws {
        let (server, port) = try startServer(handler: echo)
        let (status, closed, after) = try await onThread { () throws -> (Int, Bool, Int) in
            let client = try RawClient(port: port)
            client.send(request)
            let status = client.readResponse()?.status ?? 0
            let closed = client.closedByServer()
            let good = try RawClient(port: port)
            good.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            return (status, closed, good.readResponse()?.status ?? 0)
        }
        #expect(status == 400)
        #expect(closed)
        #expect(after == 200)
        await server.stop()
    }

    @Test("random bytes never crash the server")
    func fuzz() async throws {
        let (server, port) = try startServer(handler: echo)
        let statuses = try await onThread { () throws -> [Int] in
            var generator = SystemRandomNumberGenerator()
            var statuses: [Int] = []
            for round in 0..<40 {
                let client = try RawClient(port: port, timeout: .seconds(3))
                var bytes = (0..<(50 + round * 13)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                bytes += Array("\r\n\r\n".utf8)
                client.send(bytes)
                statuses.append(client.readResponse()?.status ?? 0)
            }
            let good = try RawClient(port: port)
            good.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            statuses.append(good.readResponse()?.status ?? 0)
            return statuses
        }
        #expect(statuses.dropLast().allSatisfy { [400, 431, 505].contains($0) })
        #expect(statuses.last == 200)
        await server.stop()
    }

    @Test("a body over the limit gets 413 before it is read; a head over the limit 431; chunked 411")
    func limits() async throws {
        let limits = HTTPServer.Limits(maxHeaderBytes: 1024, maxBodyBytes: 1000)
        let (server, port) = try startServer(limits: limits, handler: echo)
        let (big, head, chunked, exact) = try await onThread { () throws -> (Int, Int, Int, Int) in
            let one = try RawClient(port: port)
            one.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n" + String(repeating: "a", count: 1001))
            let two = try RawClient(port: port)
            two.send("GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + String(repeating: "b", count: 2000) + "\r\n\r\n")
            let three = try RawClient(port: port)
            three.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n")
            let four = try RawClient(port: port)
            four.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "a", count: 1000))
            return (one.readResponse()?.status ?? 0, two.readResponse()?.status ?? 0, three.readResponse()?.status ?? 0,
                    four.readResponse()?.status ?? 0)
        }
        #expect(big == 413)
        #expect(head == 431)
        #expect(chunked == 411)
        #expect(exact == 200)
        await server.stop()
    }

    @Test("Expect: 100-continue gets the go-ahead, then the answer")
    func expectContinue() async throws {
        let (server, port) = try startServer(handler: echo)
        let (interim, final) = try await onThread { () throws -> (Int, String) in
            let client = try RawClient(port: port)
            client.send("POST /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
            let interim = client.readResponse()?.status ?? 0
            client.send("abc")
            return (interim, client.readResponse()?.text ?? "")
        }
        #expect(interim == 100)
        #expect(final == "POST /c abc")
        await server.stop()
    }

    @Test("a client that sends its request too slowly gets 408 and is closed")
    func slowClient() async throws {
        let limits = HTTPServer.Limits(requestTimeout: .milliseconds(300))
        let (server, port) = try startServer(limits: limits, handler: echo)
        let (status, closed, seconds) = try await onThread { () throws -> (Int, Bool, Double) in
            let client = try RawClient(port: port)
            let start = Date()
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            let status = client.readResponse()?.status ?? 0
            return (status, client.closedByServer(), Date().timeIntervalSince(start))
        }
        #expect(status == 408)
        #expect(closed)
        #expect(seconds < 3)
        #expect(server.currentStatistics.closedSlow == 1)
        await server.stop()
    }

    @Test("a connection that sends nothing is closed after the request timeout, not the idle timeout")
    func silentClient() async throws {
        let limits = HTTPServer.Limits(requestTimeout: .milliseconds(300), idleTimeout: .seconds(60))
        let (server, port) = try startServer(limits: limits, handler: echo)
        let (closed, seconds) = try await onThread { () throws -> (Bool, Double) in
            let client = try RawClient(port: port)
            let start = Date()
            _ = client.readResponse()
            return (client.closedByServer(), Date().timeIntervalSince(start))
        }
        #expect(closed)
        #expect(seconds < 3)
        await server.stop()
    }

    @Test("an idle kept-alive connection is closed after the idle timeout")
    func idleTimeout() async throws {
        let limits = HTTPServer.Limits(idleTimeout: .milliseconds(300))
        let (server, port) = try startServer(limits: limits, handler: echo)
        let closed = try await onThread { () throws -> Bool in
            let client = try RawClient(port: port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = client.readResponse()
            return client.closedByServer()
        }
        #expect(closed)
        #expect(server.currentStatistics.closedIdle == 1)
        await server.stop()
    }

    @Test("many idle and half-sent connections do not hold up a good one; over the limit gets 503")
    func manyIdle() async throws {
        let limits = HTTPServer.Limits(maxConnections: 40)
        let (server, port) = try startServer(limits: limits, handler: echo)
        let (status, seconds, refused) = try await onThread { () throws -> (Int, Double, Int) in
            var idle: [RawClient] = []
            for index in 0..<38 {
                let client = try RawClient(port: port)
                if index % 2 == 0 { client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Le") }
                idle.append(client)
            }
            let start = Date()
            let good = try RawClient(port: port)
            good.send("GET /good HTTP/1.1\r\nHost: x\r\n\r\n")
            let status = good.readResponse()?.status ?? 0
            let seconds = Date().timeIntervalSince(start)
            let extra = try RawClient(port: port)
            let third = try RawClient(port: port)
            _ = extra
            let refused = third.readResponse()?.status ?? 0
            withExtendedLifetime(idle) {}
            return (status, seconds, refused)
        }
        #expect(status == 200)
        #expect(seconds < 1)
        #expect(refused == 503)
        await server.stop()
    }

    @Test("a slow handler does not hold up other connections")
    func concurrentHandlers() async throws {
        let (server, port) = try startServer { request in
            if request.path == "/slow" { try? await Task.sleep(for: .seconds(2)) }
            return HTTPServerResponse(status: 200)
        }
        let seconds = try await onThread { () throws -> Double in
            let slow = try RawClient(port: port)
            slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            let start = Date()
            let fast = try RawClient(port: port)
            fast.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = fast.readResponse()
            return Date().timeIntervalSince(start)
        }
        #expect(seconds < 1)
        await server.stop()
    }

    @Test("a request is answered while every thread of the global pool is held by other work (issue #13, defect 9)")
    func answeredWhileGlobalPoolIsBusy() async throws {
        let (server, port) = try startServer(handler: echo)
        let answer = try await onThread { () throws -> String? in
            let occupier = GlobalPoolOccupier()
            defer { occupier.release() }
            guard occupier.occupy(threads: ProcessInfo.processInfo.activeProcessorCount, timeout: 10) else {
                return "the global pool was never fully occupied"
            }
            let client = try RawClient(port: port, timeout: .seconds(5))
            client.send("GET /busy HTTP/1.1\r\nHost: x\r\n\r\n")
            return client.readResponse()?.text
        }
        #expect(answer == "GET /busy ", "the request was not answered in 5 s while the global pool was busy")
        await server.stop()
    }

    @Test("stop closes connections and the port")
    func stop() async throws {
        let (server, port) = try startServer(handler: echo)
        let client = try RawClient(port: port)
        await server.stop()
        #expect(try await onThread { client.closedByServer() })
        #expect(throws: (any Error).self) { try RawClient(port: port) }
        await server.stop()
    }

    @Test("listen addresses: IPv4 and IPv6 literals with a port 1-65535", arguments: [
        ("127.0.0.1:8765", "127.0.0.1:8765"), ("[::1]:8765", "[::1]:8765"), ("0.0.0.0:1", "0.0.0.0:1"),
    ])
    func addresses(_ text: String, _ expected: String) throws {
        #expect(try ListenAddress(parsing: text).description == expected)
    }

    @Test("bad listen addresses are refused with the rule", arguments: [
        "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "localhost:80", "::1:80", "[::1]80", "[::1:80", "1.2.3:80", "127.0.0.1:8o",
    ])
    func badAddresses(_ text: String) {
        #expect(throws: ListenAddress.ParseError.self) { try ListenAddress(parsing: text) }
    }

    @Test("binds IPv6 loopback")
    func ipv6() async throws {
        let server = HTTPServer(handler: echo)
        let bound = try server.start(ListenAddress(host: "::1", port: 0))
        #expect(bound.port != 0)
        #expect(bound.description.hasPrefix("[::1]:"))
        await server.stop()
    }
}
