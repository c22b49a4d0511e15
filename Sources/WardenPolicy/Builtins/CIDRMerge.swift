import BigInt

/// `net.cidr_merge`: the smallest list of blocks covering the given blocks and addresses, as
/// OPA computes it. A bare IPv4 address stands for its classful network (A: /8, B: /16, else
/// /24) and keeps its own address when nothing merges with it, as Go's net.IPNet prints it;
/// a block written as CIDR is printed as its network.
extension Builtins {
    static let cidrMerge: [String: Builtin] = [
        "net.cidr_merge": fixed(1) { args in
            var blocks: [CIDRRange] = []
            for item in try args.strings(0) {
                guard let block = CIDRRange(item) else { throw BuiltinError(message: "\(item) is not a CIDR block or an IPv4 address") }
                blocks.append(block)
            }
            var merged: [CIDRRange] = []
            for block in blocks.sorted(by: { ($0.width, $0.first) < ($1.width, $1.first) }) {
                if var last = merged.last, last.width == block.width, block.first <= last.last + 1 {
                    last.last = max(last.last, block.last)
                    last.merged = true
                    merged[merged.count - 1] = last
                } else {
                    merged.append(block)
                }
            }
            return .makeSet(merged.flatMap { $0.blocks() }.map { .string($0) })
        }
    ]
}

struct CIDRRange {
    /// 32 or 128 bits.
    let width: Int
    var first: BigUInt
    var last: BigUInt
    /// The block as given, printed when nothing merged with it.
    let text: String
    var merged = false

    init?(_ item: String) {
        var cidr: CIDR
        var masked = true
        if item.contains("/") {
            guard let parsed = CIDR(item) else { return nil }
            cidr = parsed
        } else {
            masked = false
            guard let address = CIDR.address(item), address.count == 4 else { return nil }
            cidr = CIDR(address: address, prefix: address[0] < 0x80 ? 8 : address[0] < 0xC0 ? 16 : 24)
        }
        width = cidr.address.count * 8
        let value = cidr.address.reduce(BigUInt(0)) { $0 << 8 | BigUInt($1) }
        let hostBits = width - cidr.prefix
        first = (value >> hostBits) << hostBits
        last = first + (BigUInt(1) << hostBits) - 1
        text = masked ? Self.block(first, width: width, prefix: cidr.prefix) : CIDR.text(cidr.address) + "/" + String(cidr.prefix)
    }

    private static func block(_ start: BigUInt, width: Int, prefix: Int) -> String {
        var bytes: [UInt8] = []
        var value = start
        for _ in 0..<(width / 8) {
            bytes.insert(UInt8(value & 0xff), at: 0)
            value >>= 8
        }
        return CIDR.text(bytes) + "/" + String(prefix)
    }

    /// The blocks covering this range: the block as given, or the fewest aligned blocks.
    func blocks() -> [String] {
        guard merged else { return [text] }
        var out: [String] = []
        var start = first
        while start <= last {
            var size = 0
            while size < width, start % (BigUInt(1) << (size + 1)) == 0, start + (BigUInt(1) << (size + 1)) - 1 <= last { size += 1 }
            out.append(Self.block(start, width: width, prefix: width - size))
            start += BigUInt(1) << size
        }
        return out
    }
}
