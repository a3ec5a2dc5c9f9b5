// 3 x 3 matrices in Double for colour transforms: products, inverse, powers of symmetric matrices.

import Foundation

/// A 3 x 3 matrix of Doubles, row-major: `rows[i][j]` is row i, column j.
struct Matrix3: Equatable {
    var rows: [[Double]]

    init(rows: [[Double]]) {
        precondition(rows.count == 3 && rows.allSatisfy { $0.count == 3 }, "a Matrix3 has 3 rows of 3")
        self.rows = rows
    }

    static let identity = Matrix3(rows: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])

    subscript(i: Int, j: Int) -> Double {
        get { rows[i][j] }
        set { rows[i][j] = newValue }
    }

    var transposed: Matrix3 {
        Matrix3(rows: (0 ..< 3).map { j in (0 ..< 3).map { i in rows[i][j] } })
    }

    static func * (a: Matrix3, b: Matrix3) -> Matrix3 {
        Matrix3(rows: (0 ..< 3).map { i in
            (0 ..< 3).map { j in (0 ..< 3).reduce(0.0) { $0 + a[i, $1] * b[$1, j] } }
        })
    }

    static func + (a: Matrix3, b: Matrix3) -> Matrix3 {
        Matrix3(rows: (0 ..< 3).map { i in (0 ..< 3).map { j in a[i, j] + b[i, j] } })
    }

    /// The inverse by the adjugate; the matrix must be invertible.
    var inverse: Matrix3 {
        let m = self
        func cofactor(_ i: Int, _ j: Int) -> Double {
            let (r0, r1) = ((i + 1) % 3, (i + 2) % 3)
            let (c0, c1) = ((j + 1) % 3, (j + 2) % 3)
            return m[r0, c0] * m[r1, c1] - m[r0, c1] * m[r1, c0]
        }
        let determinant = (0 ..< 3).reduce(0.0) { $0 + m[0, $1] * cofactor(0, $1) }
        precondition(determinant != 0, "the matrix is singular")
        // inverse[i][j] = cofactor(j, i) / det (the cyclic index choice gives the signs).
        return Matrix3(rows: (0 ..< 3).map { i in (0 ..< 3).map { j in cofactor(j, i) / determinant } })
    }

    /// `V diag(lambda^p) V^T` for a symmetric positive definite matrix `V diag(lambda) V^T`: p = 1/2
    /// is the matrix square root and p = -1/2 its inverse. For such matrices this is what
    /// `U diag(d^p) V^T` from an SVD gives (pytorch-AdaIN's `_mat_sqrt` uses `torch.svd`).
    func symmetricPower(_ p: Double) -> Matrix3 {
        let (values, vectors) = symmetricEigen()
        precondition(values.allSatisfy { $0 > 0 }, "the matrix is not positive definite: eigenvalues \(values)")
        var scaled = vectors
        for i in 0 ..< 3 {
            for j in 0 ..< 3 { scaled[i, j] *= Foundation.pow(values[j], p) }
        }
        return scaled * vectors.transposed
    }

    /// Eigenvalues and eigenvectors (the columns of `vectors`) of a symmetric matrix, by cyclic
    /// Jacobi rotations until the off-diagonal part vanishes to rounding.
    func symmetricEigen() -> (values: [Double], vectors: Matrix3) {
        var a = self
        var v = Matrix3.identity
        for _ in 0 ..< 50 {
            let off = a[0, 1] * a[0, 1] + a[0, 2] * a[0, 2] + a[1, 2] * a[1, 2]
            let diagonal = a[0, 0] * a[0, 0] + a[1, 1] * a[1, 1] + a[2, 2] * a[2, 2]
            if off <= 1e-30 * diagonal || off == 0 { break }
            for (p, q) in [(0, 1), (0, 2), (1, 2)] where a[p, q] != 0 {
                // The rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1).
                let theta = (a[q, q] - a[p, p]) / (2 * a[p, q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot()
                let s = t * c
                for k in 0 ..< 3 {
                    let (akp, akq) = (a[k, p], a[k, q])
                    a[k, p] = c * akp - s * akq
                    a[k, q] = s * akp + c * akq
                }
                for k in 0 ..< 3 {
                    let (apk, aqk) = (a[p, k], a[q, k])
                    a[p, k] = c * apk - s * aqk
                    a[q, k] = s * apk + c * aqk
                }
                for k in 0 ..< 3 {
                    let (vkp, vkq) = (v[k, p], v[k, q])
                    v[k, p] = c * vkp - s * vkq
                    v[k, q] = s * vkp + c * vkq
                }
            }
        }
        return ([a[0, 0], a[1, 1], a[2, 2]], v)
    }

    /// `self * (x, y, z)`.
    func apply(_ x: Double, _ y: Double, _ z: Double) -> (Double, Double, Double) {
        (rows[0][0] * x + rows[0][1] * y + rows[0][2] * z,
         rows[1][0] * x + rows[1][1] * y + rows[1][2] * z,
         rows[2][0] * x + rows[2][1] * y + rows[2][2] * z)
    }
}
