using System.Globalization;
using System.Text;

namespace Gear.Samples.CartPole;

/// <summary>The mean greedy return over time, kept as points and written as a small standalone SVG chart.</summary>
public sealed class LearningCurve
{
    private readonly List<(double Seconds, long EnvSteps, double MeanReturn)> _points = [];

    /// <summary>The points so far.</summary>
    public IReadOnlyList<(double Seconds, long EnvSteps, double MeanReturn)> Points => _points;

    /// <summary>Adds a point.</summary>
    public void Add(double seconds, long envSteps, double meanReturn) => _points.Add((seconds, envSteps, meanReturn));

    /// <summary>Writes the curve (return against seconds, with the target as a dashed line) to <paramref name="path"/>.</summary>
    public void WriteSvg(string path, double target)
    {
        const int width = 640, height = 360, left = 56, right = 16, top = 24, bottom = 44;
        var maxSeconds = Math.Max(1, _points.Count == 0 ? 1 : _points[^1].Seconds);
        const double maxReturn = CartPoleEnvironment.MaxSteps;
        string X(double s) => (left + s / maxSeconds * (width - left - right)).ToString("0.#", CultureInfo.InvariantCulture);
        string Y(double r) => (top + (1 - r / maxReturn) * (height - top - bottom)).ToString("0.#", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"16\">CartPole DQN through Gear: mean greedy return</text>\n");
        foreach (var r in new[] { 0, 100, 200, 300, 400, 500 })
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(r)}\" y2=\"{Y(r)}\" stroke=\"#ddd\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 8}\" y=\"{Y(r)}\" text-anchor=\"end\" dominant-baseline=\"middle\">{r}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(target)}\" y2=\"{Y(target)}\" stroke=\"#c33\" stroke-dasharray=\"6 4\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width - right}\" y=\"{height - 12}\" text-anchor=\"end\">seconds ({maxSeconds:0} s shown)</text>\n");
        if (_points.Count > 0)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"2\" points=\"");
            foreach (var (seconds, _, meanReturn) in _points)
                svg.Append(X(seconds)).Append(',').Append(Y(meanReturn)).Append(' ');
            svg.Append("\"/>\n");
        }
        svg.Append("</svg>\n");
        File.WriteAllText(path, svg.ToString());
    }
}
