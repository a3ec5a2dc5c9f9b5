// What an input is to a stylization (content, style, mask, weights), so that errors can say which.

/// The role of an input file in a stylization. Library functions take a role, not a flag, and
/// their errors carry it; ``flag`` is the one place where a role becomes the command-line flag
/// that `stylectl` gives that input, and the words the errors print.
public enum InputRole: String, Sendable, CaseIterable {
    case content
    case style
    case mask
    case vgg
    case decoder
    /// The folder of content images of `train` and `compare-norms` learning.
    case trainingContent
    /// The folder of style images of `train`.
    case trainingStyle

    /// `stylectl`'s flag for the role.
    public var flag: String {
        switch self {
        case .content: "--content"
        case .style: "--style"
        case .mask: "--mask"
        case .vgg: "--vgg"
        case .decoder: "--decoder"
        case .trainingContent: "--content-dir"
        case .trainingStyle: "--style-dir"
        }
    }

    /// `stylectl`'s flag for the size an image of the role is resized to (`--content-size`,
    /// `--style-size`); nil for roles without one.
    public var sizeFlag: String? {
        switch self {
        case .content: "--content-size"
        case .style: "--style-size"
        default: nil
        }
    }
}
