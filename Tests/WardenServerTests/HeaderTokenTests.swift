import Testing

@testable import WardenServer

@Suite struct HeaderTokenTests {
    @Test func mediaTypeIsTheTrimmedLowercasedTypeBeforeParameters() {
        #expect(HeaderToken.mediaType("application/json") == "application/json")
        #expect(HeaderToken.mediaType("Application/JSON; charset=utf-8") == "application/json")
        #expect(HeaderToken.mediaType(" \tapplication/octet-stream \t;q=1") == "application/octet-stream")
        // Only HTTP's optional whitespace is trimmed: a no-break space stays, and does not match.
        #expect(HeaderToken.mediaType("application/json\u{A0}") != "application/json")
        #expect(HeaderToken.mediaType("") == "")
        #expect(HeaderToken.mediaType(";charset=utf-8") == "")
    }

    @Test func connectionTokensAreTrimmedAndLowercased() {
        #expect("Keep-Alive , CLOSE".split(separator: ",").map(HeaderToken.normalized) == ["keep-alive", "close"])
        #expect(HeaderToken.normalized("  \t ") == "")
    }
}
