package graph_test

import (
	"testing"

	"lectern/graph/model"
	"lectern/internal/media"
)

// TestAssetReasonsAreInTheSchema: every reason the media service stores
// is a value of the schema's enum, so no stored reason fails a response.
func TestAssetReasonsAreInTheSchema(t *testing.T) {
	if len(media.RejectionReasons) != len(model.AllAssetRejectionReason) {
		t.Errorf("%d rejection reasons, the schema has %d", len(media.RejectionReasons), len(model.AllAssetRejectionReason))
	}
	for _, r := range media.RejectionReasons {
		if !model.AssetRejectionReason(r).IsValid() {
			t.Errorf("rejection reason %s is not in AssetRejectionReason", r)
		}
	}
	if len(media.FailureReasons) != len(model.AllAssetFailureReason) {
		t.Errorf("%d failure reasons, the schema has %d", len(media.FailureReasons), len(model.AllAssetFailureReason))
	}
	for _, r := range media.FailureReasons {
		if !model.AssetFailureReason(r).IsValid() {
			t.Errorf("failure reason %s is not in AssetFailureReason", r)
		}
	}
}
