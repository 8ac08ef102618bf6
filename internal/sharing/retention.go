package sharing

import (
	"context"
	"fmt"
	"time"
)

// Ended review links (storage limitation, package privacy's retention
// task): a link that expired or was revoked is useless to everyone, yet
// its guests' names and addresses would otherwise stay as long as the
// project. Once a link has been over for the retention period (the task
// passes the cutoff) the link, its unlocks and its guests are deleted.
// What the guests wrote, and their marks and "done", stay in the owner's
// project under the guest's random id, which then identifies no one:
// they are shown as EndedGuestName, the way an erased account's comments
// are shown as ErasedReviewerName.

// EndedGuestName is how a reviewer is shown whose link ended and was
// deleted with its guests.
const EndedGuestName = "guest (link ended)"

// endedGuestVia is the Via of such a reviewer: the link is gone.
const endedGuestVia = "link"

// DeleteLinksEndedBefore deletes every review link that expired or was
// revoked before t, with its unlocks and its guests, and returns how many
// links and guests it deleted. Where a guest's name was copied for the
// owner (the access log of the project's photos, "done" notifications)
// it is replaced by EndedGuestName in the same transaction. It is the
// retention task's sweep of ended links; t comes from the task's clock.
func (s *Service) DeleteLinksEndedBefore(ctx context.Context, t time.Time) (links, guests int, err error) {
	links, guests, err = s.store.DeleteLinksEndedBefore(ctx, t.UTC(), EndedGuestName)
	if err != nil {
		return 0, 0, fmt.Errorf("sharing: delete ended links: %w", err)
	}
	return links, guests, nil
}
