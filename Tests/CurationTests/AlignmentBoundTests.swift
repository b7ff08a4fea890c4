// AlignmentBound's screen may only ever skip pairs the pixel search would reject. Checked three ways:
// its separable, GEMM-computed quantities equal their pixel-by-pixel definitions; the bound never exceeds
// the exact sum of squares of any plan; and screening keeps every near duplicate while settling distinct
// scans without the pixel search.
import CohortTestSupport
import Foundation
import ImageIO
import Testing

@testable import Curation

@Suite struct AlignmentBoundTests {
    static let size = AlignmentPlan.size

    /// Thumbnails of distinct blob scans, copies of them (mirrored, shifted, re-contrasted) and noise.
    static let thumbnails: [[Float]] = {
        var scans = (0..<6).map { BlobScans.scan(seed: $0) }
        scans += [BlobScans.scan(seed: 1, mirrored: true), BlobScans.scan(seed: 2, shift: (2, -1)), BlobScans.scan(seed: 3, gain: 1.2, offset: -5)]
        var state: UInt64 = 7
        let noise = (0..<(64 * 64)).map { _ -> UInt16 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt16(state >> 56)
        }
        scans.append(GrayImage(width: 64, height: 64, bitDepth: 8, samples: noise))
        return scans.map { ImageFingerprint($0, modelSize: 64).thumbnail }
    }()

    static func cosine(_ f: Int, _ n: Int) -> Double {
        ((f == 0 ? 1.0 : 2.0) / Double(size)).squareRoot() * cos(Double.pi * (Double(n) + 0.5) * Double(f) / Double(size))
    }

    /// The kept-frequency coefficients of an image, straight from the DCT-II definition.
    static func coefficients(_ image: [Double]) -> [Double] {
        AlignmentBound.frequencies.map { (u, v) in
            var sum = 0.0
            for y in 0..<size { for x in 0..<size { sum += image[y * size + x] * cosine(u, y) * cosine(v, x) } }
            return sum
        }
    }

    /// W_P b at every covered pixel of `plan`, by the plan's own samples.
    static func warped(_ b: [Float], _ plan: AlignmentPlan) -> [Double] {
        (0..<plan.count).map { q in
            let (bi, fx, fy) = (Int(plan.bIndex[q]), Double(plan.fx[q]), Double(plan.fy[q]))
            let top = Double(b[bi]) * (1 - fx) + Double(b[bi + 1]) * fx
            let bottom = Double(b[bi + size]) * (1 - fx) + Double(b[bi + size + 1]) * fx
            return top * (1 - fy) + bottom * fy
        }
    }

    /// â_P = W_Pᵀ(a on C_P), scattered pixel by pixel.
    static func backProjection(_ a: [Float], _ plan: AlignmentPlan) -> [Double] {
        var back = [Double](repeating: 0, count: size * size)
        for q in 0..<plan.count {
            let (value, bi, fx, fy) = (Double(a[Int(plan.aIndex[q])]), Int(plan.bIndex[q]), Double(plan.fx[q]), Double(plan.fy[q]))
            back[bi] += value * (1 - fx) * (1 - fy)
            back[bi + 1] += value * fx * (1 - fy)
            back[bi + size] += value * (1 - fx) * fy
            back[bi + size + 1] += value * fx * fy
        }
        return back
    }

    @Test func theSeparableQuantitiesMatchThePixelDefinitions() {
        for image in [Self.thumbnails[0], Self.thumbnails[7], Self.thumbnails[9]] {
            let (query, reference) = (AlignmentBound.query(image), AlignmentBound.reference(image))
            let own = Self.coefficients(image.map(Double.init))
            for (n, value) in own.enumerated() { #expect(abs(Double(reference.coefficients[n]) - value) < 1e-4, "c_b[\(n)]") }
            let energy = image.reduce(0.0) { $0 + Double($1) * Double($1) }
            let ownRest = energy - own.reduce(0) { $0 + $1 * $1 }
            #expect(
                Double(reference.residual * reference.residual) >= ownRest - 1e-3 && Double(reference.residual * reference.residual) < ownRest + 0.05)
            for (p, plan) in AlignmentBound.plans.enumerated() {
                let beta = Self.warped(image, plan).reduce(0) { $0 + $1 * $1 }
                #expect(abs(Double(reference.warpedEnergy[p]) - beta) < 1e-4 * beta + 1e-3, "β of plan \(p)")
                let alpha = plan.aIndex.reduce(0.0) { $0 + Double(image[Int($1)]) * Double(image[Int($1)]) }
                #expect(abs(Double(query.coveredEnergy[p]) - alpha) < 1e-4 * alpha + 1e-3, "α of plan \(p)")
                let back = Self.backProjection(image, plan)
                let kept = Self.coefficients(back)
                for (n, value) in kept.enumerated() {
                    #expect(abs(Double(query.coefficients[p * AlignmentBound.k + n]) - value) < 1e-3, "ĉ[\(n)] of plan \(p)")
                }
                let rest = back.reduce(0) { $0 + $1 * $1 } - kept.reduce(0) { $0 + $1 * $1 }
                let residual = Double(query.residuals[p] * query.residuals[p])
                #expect(residual >= rest - 1e-3 && residual < rest + 0.05, "‖â⊥‖² of plan \(p): \(residual) vs \(rest)")
            }
        }
    }

    @Test func theBoundNeverExceedsTheExactSumOfSquares() {
        var informative = 0, total = 0
        for (i, a) in Self.thumbnails.enumerated() {
            let query = AlignmentBound.query(a)
            for b in Self.thumbnails where b != a || i == 0 {
                let reference = AlignmentBound.reference(b)
                for (p, plan) in AlignmentBound.plans.enumerated() {
                    let warped = Self.warped(b, plan)
                    var exact = 0.0
                    for (q, value) in warped.enumerated() {
                        exact += (Double(a[Int(plan.aIndex[q])]) - value) * (Double(a[Int(plan.aIndex[q])]) - value)
                    }
                    let bound = Double(AlignmentBound.lowerBound(query, reference, plan: p))
                    #expect(
                        bound <= exact + 1e-3 * (Double(query.coveredEnergy[p]) + Double(reference.warpedEnergy[p])), "plan \(p): \(bound) > \(exact)"
                    )
                    // Not vacuous: the bound is most of the exact sum for most plans of distinct images.
                    if bound > 0.5 * exact { informative += 1 }
                    total += 1
                }
            }
        }
        #expect(informative * 2 > total, "the bound carries information: \(informative) of \(total) plans")
    }

    @Test func theScreenKeepsEveryNearDuplicateAndSettlesDistinctScans() {
        let thumbnails = Self.thumbnails
        let rows = ReferenceRows(thumbnails.map(AlignmentBound.reference))
        var settled = 0
        for (i, a) in thumbnails.enumerated() {
            let open = Set(rows.survivors(of: Array(thumbnails.indices), query: AlignmentBound.query(a)))
            for j in thumbnails.indices {
                let near = NearDuplicates.alignedDistance(a, thumbnails[j]) <= NearDuplicates.distanceThreshold
                if near {
                    #expect(open.contains(j), "pair (\(i), \(j)) is a near duplicate and must stay open")
                } else if !open.contains(j) {
                    settled += 1
                }
            }
            #expect(open.contains(i), "an image is its own near duplicate")
        }
        #expect(settled >= 50, "most distinct pairs settled by the bound alone: \(settled) of 72")
    }
}
