/// The field pipeline (docs/pipeline.md): resources stored in the pond and run through their lifecycle, the
/// HydroVu collector, and the static site.
public enum Pipeline {
  /// Where resource definitions live in a pond.
  public static let resourcesDirectory = "/etc/resources"
}
