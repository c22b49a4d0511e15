import Crypto

/// An RFC 6962 / RFC 9162 Merkle audit path: proves that a leaf is at `index` in a log of
/// `treeSize` entries whose root is `rootHash`. Leaves hash as SHA-256(0x00 ‖ leaf), interior
/// nodes as SHA-256(0x01 ‖ left ‖ right), so a leaf cannot pass for a node.
public struct MerkleInclusionProof: Sendable, Equatable {
    public let index: UInt64
    public let treeSize: UInt64
    public let rootHash: [UInt8]
    public let hashes: [[UInt8]]

    public init(index: UInt64, treeSize: UInt64, rootHash: [UInt8], hashes: [[UInt8]]) {
        self.index = index
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.hashes = hashes
    }

    public static func leafHash(_ leaf: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: Array(leaf))
        return Array(hasher.finalize())
    }

    static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// Whether the path leads from the leaf's hash to `rootHash` (RFC 9162 §2.1.3.2).
    public func verifies(leafHash: [UInt8]) -> Bool {
        guard index < treeSize, rootHash.count == 32, hashes.allSatisfy({ $0.count == 32 }) else { return false }
        var (fn, sn, root) = (index, treeSize - 1, leafHash)
        for sibling in hashes {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                root = Self.nodeHash(sibling, root)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                root = Self.nodeHash(root, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && root == rootHash
    }
}
